"""Slack errors while sending scheduled and follow-up messages: 429 waits for Retry-After
without blocking anyone and without losing the message; a person Slack cannot reach is marked
unreachable and never retried; anything else is retried with backoff, up to a cap.

Nothing here waits in real time: the pacer (which holds sending for Retry-After) reads the
test's FakeClock, and its sleeps are recorded (see `PacerTime`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.kernel.clock import FakeClock
from core.messaging.ledger import MAX_ATTEMPTS
from core.people.models import Person
from sandbox.fake_slack import FakeSlack, default_api_ref_dir
from sandbox.harness import BotUnderTest
from tests.conftest import SIGNING_SECRET
from tests.relationship_support import ANA, BEN, add_to_fake, agree, at, deliveries, seed_pair

# Monday 16 March 2026, 14:00 UTC: working hours in Lisbon (14:00) and New York (10:00).
DUE = "2026-03-16T14:00:00+00:00"


def to(user: str):  # noqa: ANN201
    return lambda args: args.get("channel") == user


def posts(fake: FakeSlack, user: str, *, ok: bool | None = None) -> list:
    return [c for c in fake.calls_to("chat.postMessage", ok=ok) if c.args.get("channel") == user]


class PacerTime:
    """The pacer's time source and sleep, driven by the test's FakeClock.

    A Retry-After hold ends when the test moves the clock, not after a real wait. Every
    sleep is recorded and moves the clock on, as a real sleep moves time: code that slept
    through Retry-After would show both in `sleeps` and as a message sent too early.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds=seconds)


def fast(slack: BotUnderTest) -> PacerTime:
    assert isinstance(slack.clock, FakeClock)
    pacer_time = PacerTime(slack.clock)
    slack.app.flows.relationship.deliverer.pacer = Pacer(
        rate=500,
        burst=100,
        channel_interval=0,
        monotonic=pacer_time.monotonic,
        sleep=pacer_time.sleep,
    )
    return pacer_time


def nudges_due(slack: BotUnderTest) -> PacerTime:
    """A pair that agreed two weeks ago: both are due a meeting nudge at DUE."""
    pacer_time = fast(slack)
    add_to_fake(slack, ANA, BEN)
    slack.clock.set(at("2026-03-02T14:00:00+00:00"))
    pair_id = seed_pair(slack.app.db, slack.clock)
    agree(slack.app.db, slack.clock, pair_id)
    slack.run_sweeps()
    slack.clock.set(at(DUE))
    slack.fake.reset_calls()
    return pacer_time


def person_id(slack: BotUnderTest, user: str) -> int:
    with slack.app.db.transaction() as session:
        return session.scalars(select(Person.id).where(Person.slack_user_id == user)).one()


def unreachable(slack: BotUnderTest, user: str) -> bool:
    with slack.app.db.transaction() as session:
        return session.scalars(select(Person.unreachable).where(Person.slack_user_id == user)).one()


def test_429_keeps_the_message_and_sends_it_once_after_retry_after(slack: BotUnderTest) -> None:
    pacer_time = nudges_due(slack)
    slack.fake.rate_limit_next("chat.postMessage", retry_after=1, match=to(ANA.user_id))
    slack.run_sweeps()
    # Nobody slept through Retry-After: the sweep made the one call, gave the message back
    # with not_before = Retry-After, and returned without waiting.
    assert pacer_time.sleeps == []
    assert [c.status for c in posts(slack.fake, ANA.user_id)] == [429]
    row = next(r for r in deliveries(slack.app.db, kind="digest") if r.status == "pending")
    assert row.last_error == "ratelimited" and row.not_before == slack.clock.now() + timedelta(
        seconds=1
    )
    # Before Retry-After has passed nothing is tried again.
    slack.run_sweeps()
    slack.clock.advance(seconds=0.5)
    slack.run_sweeps()
    assert len(posts(slack.fake, ANA.user_id)) == 1
    slack.clock.advance(seconds=1)
    slack.run_sweeps()
    slack.run_sweeps()
    assert len(posts(slack.fake, ANA.user_id, ok=True)) == 1
    assert len(posts(slack.fake, BEN.user_id, ok=True)) == 1
    assert {r.status for r in deliveries(slack.app.db, kind="meeting_nudge")} == {"sent"}
    assert pacer_time.sleeps == []


def test_429_during_a_click_does_not_hold_up_the_listener(slack: BotUnderTest) -> None:
    pacer_time = nudges_due(slack)
    slack.run_sweeps()
    nudge = [
        m
        for m in slack.fake.dm_messages(ANA.user_id)
        if "relationship.meeting.met" in str(m.blocks)
    ][-1]
    # "We met" asks the day in a modal; its submission logs the meeting.
    slack.d.click(ANA.user_id, "relationship.meeting.met", in_message=nudge)
    slack.fake.reset_calls()
    slack.fake.rate_limit_next("chat.postMessage", retry_after=2)
    # The driver returns once the listener's work is over (the bot's wait_idle).
    slack.d.submit_view(ANA.user_id, None, {})
    # The listener did not wait out Retry-After: no sleep, one call (the 429) and both
    # messages left pending for the sweep, the rate-limited one not before Retry-After.
    assert pacer_time.sleeps == []
    assert [c.status for c in slack.fake.calls_to("chat.postMessage")] == [429]
    logged = deliveries(slack.app.db, kind="meeting_logged")
    assert len(logged) == 2 and {r.status for r in logged} == {"pending"}
    assert [r.not_before for r in logged if r.last_error == "ratelimited"] == [
        slack.clock.now() + timedelta(seconds=2)
    ]
    # Until Retry-After has passed the sweep sends neither (the whole process holds).
    slack.clock.advance(seconds=1)
    slack.run_sweeps()
    assert slack.fake.calls_to("chat.postMessage", ok=True) == []
    slack.clock.advance(seconds=2)
    slack.run_sweeps()
    assert {r.status for r in deliveries(slack.app.db, kind="meeting_logged")} == {"sent"}
    for user in (ANA.user_id, BEN.user_id):
        assert (
            sum("logged" in (c.args.get("text") or "") for c in posts(slack.fake, user, ok=True))
            == 1
        )
    assert pacer_time.sleeps == []


def _reference_with_dm_errors(tmp: Path) -> Path:
    """The Slack reference, with the errors Slack gives chat.postMessage for a DM to a user
    id that cannot exist listed for it (the scraped reference lists user_not_found and
    user_disabled only under conversations.open, and cannot_dm_bot nowhere)."""
    source = default_api_ref_dir()
    (tmp / "methods").mkdir(parents=True)
    for path in (source / "methods").iterdir():
        (tmp / "methods" / path.name).symlink_to(path)
    (tmp / "events.json").symlink_to(source / "events.json")
    target = tmp / "methods" / "chat.postMessage.json"
    spec = json.loads(target.read_text())
    target.unlink()
    extra = ["user_not_found", "user_disabled", "cannot_dm_bot"]
    errors = spec["errors"]
    if isinstance(errors, dict):
        errors.update({e: {"description": e} for e in extra})
    else:
        errors.extend(extra)
    target.write_text(json.dumps(spec))
    return tmp


@pytest.fixture
def slack_with_dm_errors(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> Iterator[BotUnderTest]:
    fake = FakeSlack(
        api_ref_dir=_reference_with_dm_errors(tmp_path / "ref"),
        clock=lambda: clock.now().timestamp(),
    ).start()
    bot = BotUnderTest(
        database_url=database_url, clock=clock, signing_secret=SIGNING_SECRET, fake=fake
    )
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()
        fake.stop()


@pytest.mark.parametrize(
    "error", ["user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot"]
)
def test_a_person_slack_cannot_reach_is_marked_and_never_retried(
    slack_with_dm_errors: BotUnderTest, error: str
) -> None:
    slack = slack_with_dm_errors
    nudges_due(slack)
    slack.fake.fail_next("chat.postMessage", error, match=to(ANA.user_id))
    slack.run_sweeps()
    assert unreachable(slack, ANA.user_id) and not unreachable(slack, BEN.user_id)
    assert [c.error for c in posts(slack.fake, ANA.user_id)] == [error]
    assert {
        r.status for r in deliveries(slack.app.db, recipient_id=person_id(slack, ANA.user_id))
    } <= {"failed", "sent"}
    assert any(r.last_error == error for r in deliveries(slack.app.db, kind="digest"))
    # Ben is still nudged; Ana is never tried again, next cycle included.
    assert len(posts(slack.fake, BEN.user_id, ok=True)) == 1
    for days in (1, 14, 15):
        slack.clock.set(at(DUE) + timedelta(days=days))
        slack.run_sweeps()
    assert len(posts(slack.fake, ANA.user_id)) == 1
    assert len(posts(slack.fake, BEN.user_id, ok=True)) == 2


def test_a_deactivated_account_is_recognised_without_injection(slack: BotUnderTest) -> None:
    nudges_due(slack)
    slack.fake.add_user(ANA.user_id, "ana", real_name=ANA.name, tz=ANA.tz, deleted=True)
    slack.run_sweeps()
    assert unreachable(slack, ANA.user_id)
    slack.clock.advance(days=14)
    slack.run_sweeps()
    assert len(posts(slack.fake, ANA.user_id)) == 1


def test_other_errors_are_retried_with_growing_backoff_then_succeed(slack: BotUnderTest) -> None:
    nudges_due(slack)
    slack.fake.fail_next("chat.postMessage", "internal_error", times=2, match=to(ANA.user_id))
    slack.run_sweeps()
    first = next(r for r in deliveries(slack.app.db, kind="digest") if r.status == "pending")
    wait_1 = first.not_before - slack.clock.now()
    assert timedelta(seconds=20) <= wait_1 <= timedelta(seconds=40)
    slack.run_sweeps()
    assert len(posts(slack.fake, ANA.user_id)) == 1
    slack.clock.advance(wait_1)
    slack.run_sweeps()
    second = next(r for r in deliveries(slack.app.db, kind="digest") if r.id == first.id)
    wait_2 = second.not_before - slack.clock.now()
    assert wait_2 > wait_1 and second.attempts == 2
    slack.clock.advance(wait_2)
    slack.run_sweeps()
    assert [c.ok for c in posts(slack.fake, ANA.user_id)] == [False, False, True]
    assert not unreachable(slack, ANA.user_id)


def test_retries_stop_at_the_cap(slack: BotUnderTest) -> None:
    nudges_due(slack)
    slack.fake.fail_next("chat.postMessage", "internal_error", times=50, match=to(ANA.user_id))
    for _ in range(MAX_ATTEMPTS + 3):
        slack.run_sweeps()
        slack.clock.advance(minutes=75)  # more than the longest backoff (1 h, +20% jitter)
        if slack.clock.now().hour >= 17:  # keep inside Lisbon working hours
            slack.clock.set(slack.clock.now().replace(hour=9, minute=0) + timedelta(days=1))
    assert len(posts(slack.fake, ANA.user_id)) == MAX_ATTEMPTS
    rows = deliveries(slack.app.db, kind="digest", recipient_id=person_id(slack, ANA.user_id))
    assert [r.status for r in rows] == ["failed"]
    assert {
        r.status
        for r in deliveries(
            slack.app.db, kind="meeting_nudge", recipient_id=person_id(slack, ANA.user_id)
        )
    } == {"failed"}
    assert not unreachable(slack, ANA.user_id)
