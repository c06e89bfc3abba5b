"""Logs carry ids, never goal text, notes or tokens: a full journey runs with every logger at
DEBUG and the captured records are searched for them. The app makes its logging safe by
construction (bot/platform/log_guard.py), so this holds whatever the root logger is set to."""

from __future__ import annotations

import logging

import pytest

from bot.platform import log_guard
from sandbox.harness import BotUnderTest
from tests.admin_support import join, make_coordinator

GOAL_TEXT = "Negotiate my Zanzibar transfer package"
SECOND_GOAL = "Present the Q4 roadmap to the board calmly"
NOTES = "Recovering from burnout, please be gentle"
ANNOUNCEMENT = "Summer social at the Quokka Bar"
QUESTION = "Can my Quokka-shaped mentor see my burnout notes?"


def secrets(slack: BotUnderTest) -> list[str]:
    return [GOAL_TEXT, SECOND_GOAL, NOTES, ANNOUNCEMENT, QUESTION, slack.fake.bot_token, "xoxb-"]


def leaks(records: list[logging.LogRecord], needles: list[str]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage() + (record.exc_text or "") + str(record.args or "")
        for needle in needles:
            if needle in text:
                found.append(f"{record.name}: {needle!r} in {text[:200]!r}")
    return found


def full_journey(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    make_coordinator(slack, "U_CO", monkeypatch)
    slack.add_person("U_ANA", "ana", real_name="Ana Lima")
    join(slack, "U_BEN", "Ben Okafor", role="mentor")
    d = slack.d
    d.dm("U_ANA", "I'd like to join")
    d.click("U_ANA", "onboarding.role.select.mentee")
    d.select("U_ANA", "onboarding.goals.select", ["negotiation", "public-speaking"])
    d.dm("U_ANA", GOAL_TEXT)
    d.dm("U_ANA", SECOND_GOAL)
    d.click("U_ANA", "onboarding.format.select.remote")
    d.select("U_ANA", "onboarding.languages.select", ["en"])
    d.dm("U_ANA", NOTES)
    d.click("U_ANA", "onboarding.review.confirm")
    d.slash("U_ANA", "/mentoring", "profile")
    d.slash("U_CO", "/mentoring", "match <@U_ANA> <@U_BEN> both negotiators")
    d.click("U_ANA", "coordinator.match.accept")
    d.click("U_BEN", "coordinator.match.accept")
    d.slash("U_ANA", "/mentoring", "status")
    # other features' commands, as far as they exist (else help answers)
    d.slash("U_ANA", "/mentoring", f"ask {QUESTION}")
    d.dm("U_ANA", QUESTION)
    d.slash("U_ANA", "/mentoring", "met")
    d.slash("U_BEN", "/mentoring", "pause 1w")
    d.slash("U_BEN", "/mentoring", "resume")
    d.slash("U_ANA", "/mentoring", "my-data")
    d.slash("U_CO", "/mentoring", "stats")
    d.slash("U_CO", "/mentoring", "export")
    d.slash("U_CO", "/mentoring", "announce")
    d.submit_view("U_CO", values={"announce_text": {"coordinator.announce.text": ANNOUNCEMENT}})
    d.slash("U_BEN", "/mentoring", "stats")  # refused
    slack.run_sweeps()
    d.slash("U_ANA", "/mentoring", "forget-me")
    d.click("U_ANA", "everyone.forget.confirm")
    slack.run_sweeps()


def test_a_full_journey_at_debug_logs_no_goal_text_notes_or_token(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    full_journey(slack, monkeypatch)
    # the capture saw the app at work (so an empty result means something)
    names = {r.name for r in caplog.records}
    assert any(name.startswith("bot.") for name in names)
    assert any("sent a person their data" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert leaks(caplog.records, secrets(slack)) == []


def test_the_check_would_catch_a_library_logging_bodies(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the guard, slack_sdk at DEBUG logs the message bodies: the search finds them."""
    caplog.set_level(logging.DEBUG)
    join(slack, "U_ANA", "Ana Lima", success=GOAL_TEXT)
    wire = logging.getLogger("slack_sdk.web.base_client")
    for logger in (logging.getLogger("slack_sdk"), wire):
        monkeypatch.setattr(logger, "level", logging.DEBUG)
        monkeypatch.setattr(logger, "filters", [])
    slack.d.slash("U_ANA", "/mentoring", "my-data")
    assert leaks(caplog.records, [GOAL_TEXT])
    # and the guard, put back, filters them again
    log_guard.install()
    caplog.clear()
    slack.d.slash("U_ANA", "/mentoring", "my-data")
    assert leaks(caplog.records, [GOAL_TEXT]) == []
