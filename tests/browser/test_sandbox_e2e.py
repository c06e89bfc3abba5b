"""The sandbox in a real headless Chromium (Debian's `chromium`, driven by Playwright; no
browser is ever downloaded): a newcomer walks through onboarding with clicks, menus, typing
and the profile modal; the page renders the bot's real Block Kit.

Without /usr/bin/chromium these tests are skipped with how to install it, except under CI
(the CI variable set), where a missing browser fails them: `.ci/run` installs it.

`tests/browser/test_sandbox_e2e_full.py` continues the journey (shortlist, request, accept, a week
later the meeting nudge) and reuses the helpers here.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from core.people.models import Participation, Person
from sandbox import seed as demo
from sandbox.app import Sandbox

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("MENTORBOT_TEST_OUTPUT", REPO / "test-output")) / "sandbox"


def browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: run `pip install -e '.[dev]'`"
    if not CHROMIUM.exists():
        return (
            f"headless Chromium is not installed at {CHROMIUM}: install Debian's package with "
            "`apt-get install chromium` (Playwright never downloads a browser here)"
        )
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = browser_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}. CI must run the browser tests (.ci/run installs chromium).")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "sandbox.db", port=0) as running:
        yield running


class SandboxPage:
    """The page, as a person uses it."""

    def __init__(self, page: Any, sandbox: Sandbox) -> None:
        from playwright.sync_api import expect

        self.page = page
        self.sandbox = sandbox
        # Assertions wait as long as actions (15 s, not Playwright's 5 s): on a loaded CI
        # machine a reset that restarts the bot took longer than 5 s to show.
        expect.set_options(timeout=15_000)
        self.expect = expect
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("dialog", lambda dialog: dialog.accept())  # "Are you sure?" -> yes

    @property
    def pane(self) -> Any:
        return self.page.locator("#pane")

    def pick(self, user_id: str) -> None:
        """Choose who you are in the people list."""
        name = demo.BY_ID[user_id].name
        self.page.locator(f'.person[data-user="{user_id}"]').click()
        self.expect(self.page.locator("#me-name")).to_have_text(name)

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name, exact=True).click()

    def click(self, label: str) -> None:
        """Click the newest button with this label in the open conversation or tab."""
        button = self.pane.get_by_role("button", name=label, exact=True).last
        self.expect(button).to_be_visible()
        button.click()

    def choose(self, placeholder: str, labels: list[str]) -> None:
        """Pick options in the newest multi-select menu showing `placeholder`, then Done."""
        found = self.pane.locator(".bk-multi").filter(
            has=self.page.get_by_role("button", name=placeholder)
        )
        # the button's label changes as options are ticked: hold on to the menu by its id
        action_id = found.last.get_attribute("data-action-id")
        menu = self.pane.locator(f'.bk-multi[data-action-id="{action_id}"]').last
        menu.get_by_role("button", name=placeholder).click()
        for label in labels:
            menu.get_by_label(label, exact=True).check()
        menu.get_by_role("button", name="Done").click()

    def type(self, text: str) -> None:
        box = self.page.get_by_label("Message", exact=True)
        box.fill(text)
        box.press("Enter")
        self.expect(box).to_have_value("")

    def see(self, text: str | re.Pattern[str]) -> None:
        self.expect(self.pane.get_by_text(text).last).to_be_visible()

    def advance(self, step: str) -> None:
        self.page.get_by_role("button", name=f"+1 {step}", exact=True).click()

    def screenshot(self, name: str, tmp_path: Path) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        (tmp_path / name).write_bytes(path.read_bytes())  # also in the test's own folder
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return path


@pytest.fixture
def ui(browser: Any, sandbox: Sandbox) -> Iterator[SandboxPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    wrapper = SandboxPage(page, sandbox)
    page.goto(sandbox.url)
    try:
        yield wrapper
    finally:
        context.close()
    assert wrapper.errors == [], "the page logged errors"


def onboard_as_mentee(ui: SandboxPage, *, goal: str, success: str, join: bool = True) -> None:
    """From the greeting's Join (`join`) or the welcome message to the played-back profile,
    answering with clicks."""
    if join:
        ui.click("Join")
    ui.click("Find a mentor")
    ui.choose("Choose up to 3", [goal])
    ui.see("what would success look like?")
    ui.type(success)
    ui.click("Video call")
    ui.choose("Choose languages", ["English"])
    ui.click("Skip")
    ui.see("Here's your mentoring profile")


def participation(sandbox: Sandbox, user_id: str) -> Participation | None:
    assert sandbox.bot is not None
    with sandbox.bot.app.db.transaction() as session:
        found = session.scalars(
            select(Participation)
            .join(Person, Participation.person_id == Person.id)
            .where(Person.slack_user_id == user_id)
        ).first()
        if found is not None:
            _ = found.goals
        return found


def test_a_newcomer_completes_onboarding_in_the_browser(
    ui: SandboxPage, sandbox: Sandbox, tmp_path: Path
) -> None:
    page = ui.page
    ui.expect(page.locator(".person")).to_have_count(30)
    ui.pick(demo.NEWCOMER)
    # opening the app's DM greets her once (the real app_home_opened), mrkdwn bold as bold;
    # nothing starts until she clicks Join
    ui.see(re.compile(r"Hi Maya! I run the mentoring program here"))
    ui.expect(ui.pane.locator("strong", has_text="Join").first).to_be_visible()
    ui.click("Join")
    ui.see(re.compile(r"Hi Maya, welcome to the mentoring program"))
    ui.see("Step 1 of 7")

    onboard_as_mentee(
        ui, goal="Public speaking", success="Talk at the <b>all-hands</b> & stay calm", join=False
    )
    # her words come back escaped by the bot and shown as text, never as markup
    ui.see("Talk at the <b>all-hands</b> & stay calm")
    assert ui.pane.locator("b").count() == 0

    # edit in the modal before confirming: a select with groups, a text area, another select
    ui.click("Edit")
    dialog = page.get_by_role("dialog", name="Your mentoring profile")
    ui.expect(dialog).to_be_visible()
    dialog.get_by_label(re.compile(r"^Goal 2")).select_option(label="Clear writing")
    dialog.get_by_label("What would success look like? (goal 2)").fill("Design docs people finish")
    dialog.get_by_label("Priority (goal 2)").select_option(label="Nice to have")
    dialog.get_by_role("button", name="Save").click()
    ui.expect(dialog).to_be_hidden()
    ui.see(re.compile(r"Clear writing"))

    ui.click("Confirm")
    ui.see(re.compile(r"Your profile is confirmed"))
    ui.expect(page.locator('.person[data-user="U0MAYA"] .badge').first).to_have_text("mentee")

    ui.tab("Home")
    ui.see("You're looking for a mentor.")
    ui.expect(page.get_by_label("Message", exact=True)).to_be_hidden()  # no typing in Home
    ui.see(re.compile(r"Public speaking and Clear writing"))

    ui.tab("Messages")
    ui.type("/mentoring help")
    ui.see("Only visible to you")
    ui.expect(ui.pane.locator("code", has_text="/mentoring join").last).to_be_visible()

    ui.advance("day")
    ui.expect(page.locator("#clock-offset")).to_have_text("(+1 day ahead)")
    shot = ui.screenshot("onboarding.png", tmp_path)
    assert shot.stat().st_size > 10_000

    found = participation(sandbox, demo.NEWCOMER)
    assert found is not None and found.confirmed and found.is_mentee
    assert [g.competency_id for g in found.goals] == ["public-speaking", "writing"]
    assert [g.priority for g in found.goals] == [1, 3]


def test_the_page_renders_block_kit_and_keeps_unknown_blocks(
    ui: SandboxPage, sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = sandbox._fake()
    client = WebClient(base_url=fake.api_url, token=fake.bot_token)
    text = (
        "*bold* and _italic_ and ~gone~ and `code`\n"
        "<https://example.com/guide|the guide> for <@U0MAYA>, "
        "&lt;not a tag&gt; &amp; <javascript:alert(1)|not a link>"
    )
    client.chat_postMessage(
        channel="U0TOM",
        text="A message with every kind of block",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "All the blocks"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "_small print_"}]},
            {
                "type": "video",
                "title": {"type": "plain_text", "text": "Welcome video"},
                "video_url": "https://example.com/v",
                "thumbnail_url": "https://example.com/t.png",
                "alt_text": "the program in two minutes",
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "demo.pick",
                        "placeholder": {"type": "plain_text", "text": "Pick a time"},
                        "options": [
                            {"text": {"type": "plain_text", "text": "Morning"}, "value": "am"},
                            {"text": {"type": "plain_text", "text": "Afternoon"}, "value": "pm"},
                        ],
                    },
                    {
                        "type": "radio_buttons",
                        "action_id": "demo.radio",
                        "options": [
                            {"text": {"type": "plain_text", "text": "Weekly"}, "value": "w"},
                            {"text": {"type": "plain_text", "text": "Monthly"}, "value": "m"},
                        ],
                    },
                    {
                        "type": "feedback_buttons",
                        "action_id": "demo.feedback",
                        "positive_button": {
                            "text": {"type": "plain_text", "text": "Helpful"},
                            "value": "up",
                        },
                        "negative_button": {
                            "text": {"type": "plain_text", "text": "Not helpful"},
                            "value": "down",
                        },
                    },
                ],
            },
        ],
    )
    ui.pick("U0TOM")
    pane = ui.pane
    ui.expect(pane.locator("h3.bk-header", has_text="All the blocks")).to_be_visible()
    ui.expect(pane.locator("strong", has_text="bold")).to_be_visible()
    ui.expect(pane.locator("em", has_text="italic").first).to_be_visible()
    ui.expect(pane.locator("s", has_text="gone")).to_be_visible()
    ui.expect(pane.locator("code", has_text="code")).to_be_visible()
    link = pane.get_by_role("link", name="the guide")
    ui.expect(link).to_have_attribute("href", "https://example.com/guide")
    ui.expect(pane.locator(".mention", has_text="@Maya Patel")).to_be_visible()
    ui.see("<not a tag> & ")
    assert pane.get_by_role("link", name="not a link").count() == 0
    assert pane.locator(".bk-section .bk-text br").count() == 1  # the line break
    ui.expect(pane.locator(".bk-context em", has_text="small print")).to_be_visible()
    ui.expect(pane.locator("hr.bk-divider")).to_have_count(1)
    # blocks and elements the page does not draw are shown plainly, not dropped
    video = pane.locator('[data-unknown="video"]')
    ui.expect(video).to_contain_text("[video block]")
    ui.expect(video).to_contain_text("Welcome video")
    ui.expect(pane.locator('[data-unknown="feedback_buttons"]')).to_contain_text("Helpful")
    # menus in a message send the choice to the bot (which acknowledges actions it has no
    # feature for, and logs their ids)
    with caplog.at_level(logging.INFO, logger="bot.handlers.unhandled"):
        pane.get_by_label("Pick a time").select_option(label="Afternoon")
        pane.get_by_label("Monthly").check()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            logged = " ".join(r.getMessage() for r in caplog.records)
            if "demo.pick" in logged and "demo.radio" in logged:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the bot did not receive both choices: {logged}")
    ui.expect(ui.page.locator(".toast.error")).to_have_count(0)
    ui.screenshot("block-kit.png", tmp_path)


def test_reset_from_the_page(ui: SandboxPage, sandbox: Sandbox) -> None:
    ui.pick(demo.NEWCOMER)
    ui.click("Join")
    ui.click("Find a mentor")
    ui.expect(ui.page.locator('.person[data-user="U0MAYA"] .badge').first).to_have_text(
        "setting up"
    )
    ui.advance("week")
    ui.expect(ui.page.locator("#clock-offset")).to_have_text("(+7 days ahead)")
    ui.page.get_by_role("button", name="Reset sandbox").click()
    ui.expect(ui.page.locator("#clock-offset")).to_have_text("(real time)")
    ui.expect(ui.page.locator('.person[data-user="U0MAYA"] .badge').first).to_have_text(
        "not joined"
    )
    assert participation(sandbox, demo.NEWCOMER) is None
