"""The whole journey in the browser sandbox (issue 8's "done when"), in real headless Chromium:
a newcomer onboards with clicks, receives a shortlist, requests a mentor; the mentor accepts;
a week later the pair is nudged to meet. Saves a screenshot.

Depends on matching (issue 4: the shortlist DM on profile confirmation with "Request this
mentor", the mentor's request DM with "Accept", the introduction) and on meeting nudges
(issue 5: a sweep in `bot.scheduling.scheduler.sweeps` that, about a week after a pair starts and inside
the recipient's working hours, DMs them a nudge about meeting). The seed makes Marcus Johnson
the only mentor offering Public speaking, outside the newcomer's reporting line.
"""

from __future__ import annotations

import re
from pathlib import Path

from sandbox import seed as demo
from sandbox.app import Sandbox
from tests.browser import test_sandbox_e2e as base
from tests.browser.test_sandbox_e2e import SandboxPage, onboard_as_mentee, participation

# The browser, a fresh sandbox and the page, as in the onboarding tests.
browser = base.browser
sandbox = base.sandbox
ui = base.ui

MENTEE = demo.NEWCOMER
MENTOR = demo.PUBLIC_SPEAKING_MENTOR
NUDGE = re.compile(r"\b(met|meet|meeting)\b", re.IGNORECASE)
MAX_HOURS_TO_WORKING_HOURS = 72  # a weekend plus a night, in the recipient's time zone


def advance(ui: SandboxPage, step: str) -> None:
    offset = ui.page.locator("#clock-offset")
    before = offset.inner_text()
    ui.advance(step)
    ui.expect(offset).not_to_have_text(before)


def bot_texts(ui: SandboxPage) -> list[str]:
    return ui.pane.locator(".msg.from-bot").all_inner_texts()


def test_newcomer_to_nudged_pair_in_the_browser(
    ui: SandboxPage, sandbox: Sandbox, tmp_path: Path
) -> None:
    mentor_name = demo.BY_ID[MENTOR].name
    mentee_name = demo.BY_ID[MENTEE].name

    # the newcomer onboards and is offered a shortlist
    ui.pick(MENTEE)
    onboard_as_mentee(ui, goal="Public speaking", success="Give a talk at the all-hands")
    ui.click("Confirm")
    ui.see(re.compile(r"Your profile is confirmed"))
    ui.see("Mentors who could be a good fit")
    ui.expect(ui.pane.locator("strong", has_text=mentor_name).last).to_be_visible()

    # she asks the mentor
    ui.click("Request this mentor")
    ui.see(re.compile(rf"You've asked {mentor_name}"))

    # the mentor gets the request (a new message waits for him) and accepts
    badge = ui.page.locator(f'.person[data-user="{MENTOR}"] .unread')
    ui.expect(badge).to_be_visible()
    ui.pick(MENTOR)
    ui.see(re.compile(rf"{mentee_name} would like you to be their mentor"))
    ui.see(re.compile(r"Public speaking"))
    ui.click("Accept")
    ui.see(re.compile(rf"You said yes to mentoring {mentee_name}"))
    mentor_seen = len(bot_texts(ui))
    # and the pair's introduction opens a group DM with both of them and the bot
    group = ui.page.get_by_role("tab", name=re.compile(rf"^{mentee_name}, mentorbot$"))
    ui.expect(group).to_be_visible()
    group.click()
    ui.see(re.compile(r"meet"))
    group_seen = len(bot_texts(ui))

    ui.pick(MENTEE)
    ui.see(re.compile(rf"{mentor_name} said yes"))
    ui.expect(ui.page.locator(f'.person[data-user="{MENTEE}"] .badge.paired')).to_be_visible()
    found = participation(sandbox, MENTEE)
    assert found is not None and found.confirmed

    # a week later (and then into working hours) the pair is nudged to meet
    assert sandbox.fake is not None
    fake = sandbox.fake
    group_id = next(c["id"] for c in sandbox.state(MENTEE)["channels"] if c["kind"] == "mpim")
    mark = float(fake.next_ts())
    seen_before = len(bot_texts(ui))

    def nudged() -> list[str]:
        """Where a nudge arrived since the mark: the mentee's DM, the mentor's, the group's."""
        found = []
        for where, messages in (
            (MENTEE, fake.dm_messages(MENTEE)),
            (MENTOR, fake.dm_messages(MENTOR)),
            ("group", fake.messages(group_id)),
        ):
            for m in messages:
                if m.from_bot and float(m.ts) > mark and NUDGE.search(f"{m.text} {m.blocks}"):
                    found.append(where)
        return found

    advance(ui, "week")
    for _ in range(MAX_HOURS_TO_WORKING_HOURS):
        if nudged():
            break
        advance(ui, "hour")
    else:
        raise AssertionError("no meeting nudge reached the pair within a week and three days")

    # and the page shows it where it arrived
    where = nudged()[0]
    if where == MENTEE:
        counted = seen_before
    elif where == MENTOR:
        ui.pick(MENTOR)
        counted = mentor_seen
    else:
        ui.page.get_by_role("tab", name=re.compile(rf"^{mentor_name}, mentorbot$")).click()
        counted = group_seen
    ui.expect(ui.pane.locator(".msg.from-bot")).not_to_have_count(counted)
    assert any(NUDGE.search(text) for text in bot_texts(ui)[counted:]), bot_texts(ui)
    ui.screenshot("journey.png", tmp_path)
