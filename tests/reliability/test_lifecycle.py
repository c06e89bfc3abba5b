"""Issue #12, case 1: no ordinary request ever deletes a workspace's data.

After `app_uninstalled` / `tokens_revoked`, a slash command, click, DM or Home tab opened that
was already in flight (the bot token no longer works) is acknowledged and ignored: nothing is
handled, stored, sent or deleted, and the retention period runs on. A reinstall (a signed
request from the team while the bot token works again) within the retention period restores
the workspace as it was; past the retention period only the purge sweep deletes, and a
reinstall after it starts clean. A retried or older event, or a lifecycle event, is no proof
of a reinstall."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.kernel.clock import FakeClock
from core.matchmaking.models import MentorRequest, Pair
from core.messaging.models import Delivery
from core.programs.models import Workspace
from sandbox.harness import BotUnderTest
from tests.admin_support import TEAM, every_row, join, make_coordinator, participation
from tests.journeys.test_journey_matching import onboard_mentee, people

KEPT_APART = {"processed_events", "processed_interactions"}  # handled-once keys, pruned by days


def stored(slack: BotUnderTest) -> dict[str, list[tuple[Any, ...]]]:
    return {k: v for k, v in every_row(slack).items() if k not in KEPT_APART}


def counts(slack: BotUnderTest) -> dict[str, int]:
    return {t: len(rows) for t, rows in stored(slack).items()}


def uninstalled_at(slack: BotUnderTest) -> datetime | None:
    with slack.app.db.transaction() as session:
        workspace = session.get(Workspace, TEAM)
        assert workspace is not None
        return workspace.uninstalled_at


def sent(slack: BotUnderTest) -> list[str]:
    """Every Web API call but the bot's own token checks (auth.test)."""
    return [c.method for c in slack.fake.calls if c.method != "auth.test"]


def proposed_match(slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A coordinator proposed a match; neither side has answered yet."""
    make_coordinator(slack, "U_CO", monkeypatch)
    join(slack, "U_A", "Ana Lima")
    join(slack, "U_B", "Ben Okafor", role="mentor")
    slack.d.slash("U_CO", "/mentoring", "match <@U_A> <@U_B> shared interests")
    slack.d.open_home("U_A")


def pairs(slack: BotUnderTest) -> int:
    with slack.app.db.transaction() as session:
        return len(list(session.scalars(select(Pair).where(Pair.team_id == TEAM))))


def test_requests_in_flight_at_the_uninstall_are_ignored_and_delete_nothing(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    proposed_match(slack, monkeypatch)
    slack.d.app_uninstalled()  # the token stops working first
    before = stored(slack)
    assert before["people"] and before["coordinators"] and before["participations"]
    flagged = uninstalled_at(slack)
    assert flagged is not None
    calls = sent(slack)
    clock.advance(hours=1)
    # each kind of request, already in flight, arrives after the uninstall
    slack.d.click("U_A", "coordinator.match.accept")
    slack.d.slash("U_B", "/mentoring", "status")
    slack.d.dm("U_A", "hi")
    slack.d.open_home("U_B")
    slack.d.tokens_revoked(bot_ids=[], user_ids=["U_A"], revoke=False)  # user tokens only
    assert slack.d.last_response is not None and slack.d.last_response.status_code == 200
    assert stored(slack) == before  # nothing handled, stored or deleted
    assert sent(slack) == calls  # nothing sent
    assert uninstalled_at(slack) == flagged  # the retention period runs on, not restarted
    clock.advance(days=29)
    slack.run_sweeps()
    assert counts(slack) == {t: len(rows) for t, rows in before.items()}  # nothing deleted
    clock.advance(days=1)  # and the purge sweep deletes it on time
    slack.run_sweeps()
    assert all(not rows for rows in stored(slack).values())


def test_after_a_reinstall_the_click_that_was_ignored_can_be_made_again(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    proposed_match(slack, monkeypatch)
    slack.d.tokens_revoked()
    slack.d.click("U_A", "coordinator.match.accept")  # in flight: ignored
    clock.advance(days=2)
    slack.fake.restore_tokens()
    slack.d.click("U_A", "coordinator.match.accept")  # the proof of the reinstall
    slack.d.click("U_B", "coordinator.match.accept")
    assert uninstalled_at(slack) is None
    assert pairs(slack) == 1
    assert participation(slack, "U_A") is not None


def test_retries_older_events_and_lifecycle_events_are_no_proof_of_a_reinstall(
    slack: BotUnderTest, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    proposed_match(slack, monkeypatch)
    sent_before_the_uninstall = clock.now().timestamp() - 60
    slack.d.app_uninstalled()
    before = stored(slack)
    flagged = uninstalled_at(slack)
    clock.advance(minutes=5)
    slack.fake.restore_tokens()  # even with a working token:
    dm = {"type": "message", "channel_type": "im", "user": "U_A", "text": "hi"}
    slack.d.event({**dm, "channel": slack.fake.dm_channel("U_A")}, retry_num=1)  # a retry
    slack.d.tokens_revoked(bot_ids=[], user_ids=["U_A"], revoke=False)  # a lifecycle event
    slack.d.app_uninstalled(revoke=False)  # a late duplicate
    assert uninstalled_at(slack) == flagged
    # an event Slack sent before the uninstall, delivered late (its event_time says so)
    clock.set(datetime.fromtimestamp(sent_before_the_uninstall, tz=flagged.tzinfo))
    slack.d.dm("U_A", "hello")
    assert uninstalled_at(slack) == flagged
    assert stored(slack) == before


def test_a_reinstall_past_the_retention_period_deletes_nothing_itself_and_waits_for_the_purge(
    slack_no_retention: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = slack_no_retention
    proposed_match(slack, monkeypatch)
    slack.d.app_uninstalled()
    before = stored(slack)
    assert before["people"] and before["coordinators"]
    slack.fake.restore_tokens()
    slack.d.dm("U_A", "hi")  # the retention period (0 days) is over: no restore, no purge
    assert stored(slack) == before
    assert uninstalled_at(slack) is not None
    slack.run_sweeps()  # only the sweep deletes
    assert all(not rows for rows in stored(slack).values())
    slack.d.dm("U_A", "I'd like to join")  # and a new install starts clean
    assert participation(slack, "U_A") is not None
    assert participation(slack, "U_A").status == "onboarding"


def test_while_uninstalled_a_pending_request_is_neither_reminded_nor_expired(
    slack: BotUnderTest, clock: FakeClock
) -> None:
    people(slack)
    onboard_mentee(slack, "U_ANA", ["public-speaking", "stakeholder-management"])
    slack.d.click("U_ANA", "matching.shortlist.request.0")  # Monday 09:00: expires on Friday
    slack.d.app_uninstalled()
    calls = sent(slack)
    for _ in range(6):  # a week of sweeps while the app is gone
        clock.advance(days=1)
        slack.run_sweeps()
    assert sent(slack) == calls  # no reminder attempted, nothing failing every minute
    with slack.app.db.transaction() as session:
        assert session.scalars(select(MentorRequest.status)).one() == "pending"
        assert session.scalars(select(Delivery.kind)).all() == []
    slack.fake.restore_tokens()
    slack.d.open_home("U_CY")  # a person uses the app again: the reinstall restores it
    assert uninstalled_at(slack) is None
    slack.run_sweeps()  # and the request, long past its time, expires as it would have
    with slack.app.db.transaction() as session:
        assert session.scalars(select(MentorRequest.status)).one() == "expired"
