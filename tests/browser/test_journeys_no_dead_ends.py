"""Issue 16's journeys walked in the sandbox page in real headless Chromium, each checked on
the page with `tests.browser.pagecheck`: no developer text, no repeated message, no live
buttons on answered or superseded messages, and every step ends with a next action or says
plainly that nothing more is needed.

One sandbox and one page for the whole module (the journeys involve different people of the
demo organisation, in this order): a coordinator from a fresh sandbox runs every command; a
new mentee gets a shortlist of three; a mentor declines and a newcomer no mentor fits gets
next steps; a new mentor joins; a pair agrees and is nudged over two months, then says the
check-in is "not working"; someone leaves and rejoins. Screenshots go to test-output/sandbox/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import seed as demo
from sandbox.app import Sandbox
from tests.browser import test_sandbox_e2e as base
from tests.browser.pagecheck import assert_no_developer_text, bot_messages, check_page
from tests.browser.test_sandbox_e2e import SandboxPage, onboard_as_mentee

browser = base.browser

GRACE = demo.COORDINATOR
MAYA = demo.NEWCOMER
NAMES = {p.name: p.user_id for p in demo.PEOPLE}
#: The coordinator's commands, each with what it needs (none, when its answer is its usage).
COORDINATOR_COMMANDS = (
    "help",
    "stats",
    "unmatched",
    "at-risk",
    "coordinators",
    "audit",
    "export",
    "stat",  # a typo: "did you mean"
    "invite",
    "announce",
    "match",
    "unpair",
    "do-not-pair",
    "rematch",
    "match run",
    "program",
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("journeys") / "sandbox.db", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def ui(browser: Any, sandbox: Sandbox) -> Iterator[SandboxPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    wrapper = SandboxPage(page, sandbox)
    page.goto(sandbox.url)
    try:
        yield wrapper
    finally:
        context.close()
    # a refused double click is a 409 the browser logs by itself; anything else is an error
    errors = [e for e in wrapper.errors if "status of 409" not in e]
    assert errors == [], "the page logged errors"


def messages_grow(ui: SandboxPage, before: int, what: str = "") -> None:
    ui.expect(ui.pane.locator(".msg.from-bot"), f"no answer to {what}").not_to_have_count(before)


def shown(ui: SandboxPage) -> int:
    return ui.pane.locator(".msg.from-bot").count()


def move_clock(ui: SandboxPage, label: str) -> None:
    offset = ui.page.locator("#clock-now")
    before = offset.inner_text()
    ui.page.get_by_role("button", name=label, exact=True).click()
    ui.expect(offset).not_to_have_text(before, timeout=120_000)


def shot(ui: SandboxPage, name: str, tmp_path: Path) -> None:
    ui.screenshot(name, tmp_path)


def test_a_coordinator_runs_every_command_from_a_fresh_sandbox(
    ui: SandboxPage, sandbox: Sandbox, tmp_path: Path
) -> None:
    ui.pick(GRACE)
    for command in COORDINATOR_COMMANDS:
        before = shown(ui)
        ui.type(f"/mentoring {command}")
        ui.page.wait_for_function(
            "(before) => document.querySelectorAll('#pane .msg.from-bot').length !== before"
            " || document.querySelector('[role=dialog]') !== null",
            arg=before,
        )
        dialog = ui.page.get_by_role("dialog")
        if dialog.count():  # a form (program settings, an announcement): looked at, closed
            assert "Memory" not in dialog.inner_text()
            assert_no_developer_text(ui, f"the /mentoring {command} form")
            dialog.locator(".modal-close").click()
            ui.expect(dialog).to_be_hidden()
            continue
        if command == "match run":  # a preview to confirm: cancelled, it says so
            ui.click("Cancel")
        check_page(ui, f"/mentoring {command}", next_step=False)
    ui.see(re.compile(r"Did you mean"))
    # the export's two files can be viewed and downloaded from the page
    files = ui.pane.locator(".file")
    ui.expect(files).to_have_count(2)
    view = files.first.get_by_role("link", name="View")
    response = ui.page.request.get(sandbox.url + str(view.get_attribute("href")))
    assert response.ok and "," in response.text()
    assert files.first.get_by_role("link", name="Download").get_attribute("download")
    # the Monday digest is one click away
    before = shown(ui)
    move_clock(ui, "next Monday 09:00")
    messages_grow(ui, before)
    check_page(ui, "the coordinator's digest", next_step=False)
    shot(ui, "coordinator.png", tmp_path)


def test_a_new_mentee_gets_a_shortlist_of_three_and_a_double_click_is_explained(
    ui: SandboxPage, tmp_path: Path
) -> None:
    ui.pick(MAYA)
    onboard_as_mentee(ui, goal="Stakeholder management", success="Run a launch calmly")
    check_page(ui, "the profile playback")
    ui.click("Confirm")
    ui.see("Mentors who could be a good fit")
    shortlist = ui.pane.locator(".msg.from-bot").filter(has_text="Mentors who could be a good fit")
    ui.expect(shortlist.last.get_by_role("button", name="Request this mentor")).to_have_count(3)
    shot(ui, "shortlist-of-three.png", tmp_path)
    check_page(ui, "the shortlist")
    # a double click: the second lands on a button that is gone, said in plain words
    shortlist.last.get_by_role("button", name="Request this mentor").first.dblclick()
    ui.see(re.compile(r"You've asked"))
    for note in ui.page.locator("#toasts .toast").all_inner_texts():
        assert note == "That button is no longer there — the message was already answered."
    check_page(ui, "after the request")


def asked_mentor(ui: SandboxPage) -> str:
    text = ui.pane.get_by_text(re.compile(r"You've asked")).last.inner_text()
    name = re.search(r"You've asked (.+?) (?:whether|if|to)\b", text)
    assert name is not None, text
    return NAMES[name.group(1).strip("* ")]


def test_a_decline_and_no_fit_end_in_next_steps(ui: SandboxPage, tmp_path: Path) -> None:
    mentor = asked_mentor(ui)
    ui.pick(mentor)
    ui.click("Decline")
    dialog = ui.page.get_by_role("dialog")
    dialog.locator(".modal-submit").click()
    ui.expect(dialog).to_be_hidden()
    ui.see(re.compile(r"Nothing more to do"))
    check_page(ui, "the mentor after declining")
    ui.pick(MAYA)
    ui.see(re.compile(r"isn't available right now"))
    check_page(ui, "the mentee after a decline")

    ui.pick("U0OMAR")  # nobody offers Security practices
    onboard_as_mentee(ui, goal="Security practices", success="Threat-model our release")
    ui.click("Confirm")
    for label in ("Tell me when a mentor fits", "Ask a coordinator", "Change my goals"):
        ui.expect(ui.pane.get_by_role("button", name=label)).to_have_count(1)
    check_page(ui, "no mentor fits")
    ui.click("Tell me when a mentor fits")
    ui.see(re.compile(r"Nothing more to do for now"))
    check_page(ui, "on the waitlist")
    shot(ui, "no-fit.png", tmp_path)


def test_a_new_mentor_joins(ui: SandboxPage) -> None:
    ui.pick("U0SOFIA")
    ui.click("Join")
    ui.click("Be a mentor")
    ui.choose("Choose your areas", ["System design"])
    ui.click("2")
    ui.click("Either is fine")
    ui.choose("Choose languages", ["English"])
    ui.click("Skip")
    ui.see("Here's your mentoring profile")
    ui.click("Confirm")
    ui.see(re.compile(r"Your profile is confirmed"))
    check_page(ui, "a new mentor")


def test_an_agreement_two_months_of_nudges_and_a_check_in_not_working(
    ui: SandboxPage, tmp_path: Path
) -> None:
    ui.pick(MAYA)
    asked = ui.pane.get_by_text(re.compile(r"You've asked"))
    before = asked.count()
    ui.click("Request this mentor")
    ui.expect(asked).to_have_count(before + 1)
    mentor = asked_mentor(ui)
    ui.pick(mentor)
    ui.click("Accept")
    check_page(ui, "the mentor after accepting")
    ui.pick(MAYA)
    ui.click("Set up our agreement")
    dialog = ui.page.get_by_role("dialog", name="Learning agreement")
    ui.expect(dialog).to_be_visible()
    goal = dialog.get_by_label(re.compile(r"^Goal 1"))
    if not goal.input_value():
        goal.fill("Run a launch calmly")
    dialog.get_by_label("We agree to these ground rules").check()
    dialog.locator(".modal-submit").click()
    ui.expect(dialog).to_be_hidden()
    check_page(ui, "the mentee after drafting")
    ui.pick(mentor)
    ui.click("Confirm agreement")
    check_page(ui, "the mentor after confirming")

    ui.pick(MAYA)
    for month in (1, 2):
        move_clock(ui, "+1 month")
        for person in (MAYA, mentor):
            ui.pick(person)
            check_page(ui, f"month {month}, {demo.BY_ID[person].name}")
        # the pair's own conversation, where the meeting nudges go
        ui.page.get_by_role("tab", name=re.compile(r", mentorbot$")).first.click()
        ui.expect(ui.pane.locator(".msg.from-bot").first).to_be_visible()
        check_page(ui, f"month {month}, the pair's conversation")
    shot(ui, "two-months.png", tmp_path)

    # the check-in: "not working" gets two ways forward, privately
    ui.pick(MAYA)
    ui.click("Start check-in")
    dialog = ui.page.get_by_role("dialog", name="Check-in")
    dialog.get_by_label("Some progress").first.check()
    dialog.get_by_label("Not working").check()
    dialog.locator(".modal-submit").click()
    ui.expect(dialog).to_be_hidden()
    ui.see(re.compile(r"Thanks for being honest"))
    check_page(ui, "a check-in not working")
    ui.expect(ui.pane.get_by_role("button", name="End with no fault")).to_have_count(1)


def test_leaving_then_rejoining(ui: SandboxPage) -> None:
    ui.pick("U0ZOE")
    ui.type("/mentoring leave")
    ui.click("Yes, leave")
    check_page(ui, "after leaving")
    ui.tab("Home")
    ui.see(re.compile(r"Rejoin"))
    ui.click("Rejoin")
    ui.tab("Messages")
    check_page(ui, "after rejoining")
    assert bot_messages(ui)


def test_an_at_mention_typed_in_the_composer(ui: SandboxPage) -> None:
    ui.pick(MAYA)
    ui.page.get_by_role("tab", name=re.compile(r"^#")).first.click()
    box = ui.page.get_by_label("Message", exact=True)
    box.fill("")
    box.press_sequentially("Thanks @Gra")
    option = ui.page.get_by_role("option", name="@Grace Okafor")
    ui.expect(option).to_be_visible()
    box.press("Enter")  # takes the highlighted person
    ui.expect(box).to_have_value("Thanks @Grace Okafor ")
    box.press("Enter")
    ui.expect(box).to_have_value("")
    mention = ui.pane.locator(".msg .mention", has_text="@Grace Okafor").last
    ui.expect(mention).to_be_visible()
    assert_no_developer_text(ui, "a mention")
