"""Scheduling rules without Slack: working hours in each person's time zone (property tests),
the pacer, date and pause parsing, and the ledger's claim, lease and one-message-a-day rules
on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.deliverer import Pacer
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.messaging.ledger import Due, Ledger, enqueue
from core.programs.service import default_program, program_settings
from core.relationships.meetings import parse_date
from core.relationships.pauses import parse_pause
from core.relationships.service import RelationshipError
from tests.relationship_support import ANA, BEN, deliveries, seed_pair

ZONES = [
    "UTC",
    "Europe/Lisbon",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
    "America/St_Johns",
]
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
HOURS = WorkingHours()


@settings(max_examples=300, deadline=None)
@given(when=instants, tz=st.sampled_from(ZONES))
def test_next_start_is_the_first_working_moment_not_before(when: datetime, tz: str) -> None:
    start = HOURS.next_start(when, tz)
    local = start.astimezone(ZoneInfo(tz))
    assert start >= when
    assert HOURS.contains(start, tz)
    assert local.isoweekday() <= 5 and 9 <= local.hour < 17
    if HOURS.contains(when, tz):
        assert start == when
    else:
        # nothing in between is working time: the local start of that day's window
        assert (local.hour, local.minute, local.second) == (9, 0, 0)
        assert start - when < timedelta(days=4)


@settings(max_examples=200, deadline=None)
@given(when=instants, tz=st.sampled_from(ZONES))
def test_next_day_start_is_on_a_later_local_working_day(when: datetime, tz: str) -> None:
    nxt = HOURS.next_day_start(when, tz)
    assert HOURS.local_day(nxt, tz) > HOURS.local_day(when, tz)
    assert HOURS.contains(nxt, tz)
    assert nxt.astimezone(ZoneInfo(tz)).hour == 9


def test_working_hours_examples_and_settings() -> None:
    monday_8 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    assert HOURS.next_start(monday_8, "Europe/Lisbon") == datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    # New York is on summer time from 8 March 2026: 09:00 there is 13:00 UTC.
    assert HOURS.next_start(monday_8, "America/New_York") == datetime(
        2026, 3, 16, 13, 0, tzinfo=UTC
    )
    friday_evening = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)
    assert HOURS.next_start(friday_evening, "Europe/Lisbon") == datetime(
        2026, 3, 23, 9, 0, tzinfo=UTC
    )
    # an unknown or missing zone falls back to the program's default
    assert HOURS.next_start(monday_8, "Mars/Olympus") == HOURS.next_start(monday_8, "UTC")
    custom = WorkingHours.from_settings(
        program_settings(None).with_stored(
            {"working_hours": {"start": 10, "end": 12}, "working_days": [6, 7]}
        )
    )
    assert custom.next_start(monday_8, "UTC") == datetime(2026, 3, 21, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        WorkingHours(start=17, end=9)
    with pytest.raises(ValueError):
        WorkingHours(days=frozenset())


def test_pacer_keeps_the_rate_the_per_channel_gap_and_the_hold() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(rate=2.0, burst=2, channel_interval=1.0, monotonic=lambda: now[0], sleep=sleep)
    for channel in ("a", "b", "c", "d", "e"):
        pacer.wait(channel)
    # a burst of two, then one every half second
    assert slept == [pytest.approx(0.5), pytest.approx(0.5), pytest.approx(0.5)]
    slept.clear()
    pacer.wait("e")  # same channel again: at least a second after the last one into it
    assert sum(slept) == pytest.approx(1.0)
    pacer.hold(30)
    assert pacer.held_for() == pytest.approx(30)
    assert pacer.reserve("f", max_wait=5) is None  # a listener does not wait out a 429
    assert pacer.wait("f") and now[0] == pytest.approx(132.5)


def test_a_pacers_new_rate_takes_effect_at_once() -> None:
    """Setting `rate` on a running pacer changes the spacing (it used to leave the interval
    of the old rate in place, so a caller who sped it up still waited a second a message)."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(rate=1.0, burst=1, channel_interval=0, monotonic=lambda: now[0], sleep=sleep)
    pacer.rate = 4.0
    for channel in ("a", "b", "c"):
        pacer.wait(channel)
    assert slept == [pytest.approx(0.25), pytest.approx(0.25)]
    with pytest.raises(ValueError):
        pacer.rate = 0


def test_meeting_dates_people_type() -> None:
    today = date(2026, 3, 18)  # a Wednesday
    assert parse_date("", today) == today
    assert parse_date("yesterday", today) == date(2026, 3, 17)
    assert parse_date("monday", today) == date(2026, 3, 16)
    assert parse_date("last Wednesday", today) == today
    assert parse_date("2026-03-05", today) == date(2026, 3, 5)
    assert parse_date("5 March", today) == date(2026, 3, 5)
    assert parse_date("March 5th", today) == date(2026, 3, 5)
    assert parse_date("3 feb 2025", today) == date(2025, 2, 3)
    for bad in ("soon", "31 February", "13/13"):
        with pytest.raises(RelationshipError) as caught:
            parse_date(bad, today)
        assert caught.value.key == "bad_date"


def test_pause_lengths() -> None:
    assert parse_pause("") is None
    assert parse_pause("1w") == timedelta(weeks=1)
    assert parse_pause("2 weeks") == timedelta(weeks=2)
    assert parse_pause("4W") == timedelta(weeks=4)
    for bad in ("3w", "forever", "1d"):
        with pytest.raises(RelationshipError):
            parse_pause(bad)


# --- the ledger on both databases ------------------------------------------------------------
MONDAY_10 = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # working hours in Lisbon, not New York


def _people(db: Database, clock: FakeClock) -> tuple[int, int]:
    seed_pair(db, clock)
    with db.transaction() as session:
        default_program(session, "T0001", clock)
    ids = {r.slack_user_id: r.id for r in _persons(db)}
    return ids[ANA.user_id], ids[BEN.user_id]


def _persons(db: Database) -> list:
    from sqlalchemy import select

    from core.people.models import Person

    with db.transaction() as session:
        return list(session.scalars(select(Person)).all())


def test_planning_twice_inserts_once(db: Database) -> None:
    clock = FakeClock(MONDAY_10)
    ana, _ben = _people(db, clock)
    due = [Due("T0001", ana, "meeting_nudge", "pair:1", "2026-03-16T09:00", payload={"pair": 1})]
    with db.transaction() as session:
        assert enqueue(session, due, clock.now()) == 1
    with db.transaction() as session:
        assert enqueue(session, due * 2, clock.now()) == 0
    assert len(deliveries(db, kind="meeting_nudge")) == 1


def test_one_scheduled_message_a_day_and_working_hours(db: Database) -> None:
    clock = FakeClock(MONDAY_10)
    ana, ben = _people(db, clock)
    with db.transaction() as session:
        enqueue(
            session,
            [
                Due("T0001", ana, "meeting_nudge", "pair:1", "a"),
                Due("T0001", ana, "checkin", "pair:1", "1"),
                Due("T0001", ben, "meeting_nudge", "pair:1", "a"),
            ],
            clock.now(),
        )
    ledger = Ledger(db, clock, worker="w1")
    messages = ledger.claim(100)
    # Ana: both items in one message. Ben (06:00 in New York): not now.
    assert [(m.recipient_id, sorted(i.kind for i in m.items)) for m in messages] == [
        (ana, ["checkin", "meeting_nudge"])
    ]
    ben_row = deliveries(db, recipient_id=ben)[0]
    assert ben_row.not_before == datetime(2026, 3, 16, 13, 0, tzinfo=UTC)
    with db.transaction() as session:
        assert ledger.begin_send(session, messages[0])
    assert ledger.mark_sent(messages[0], "D1", "1.0")
    # Something else for Ana today waits for tomorrow morning.
    with db.transaction() as session:
        enqueue(session, [Due("T0001", ana, "pause_ended", "pause:1")], clock.now())
    assert ledger.claim(100) == []
    later = next(r for r in deliveries(db, kind="pause_ended"))
    assert later.not_before == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    clock.set(datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    assert [i.kind for m in ledger.claim(100) for i in m.items] == ["pause_ended"]


def test_a_lease_keeps_others_off_until_it_expires(db: Database) -> None:
    clock = FakeClock(MONDAY_10)
    ana, _ben = _people(db, clock)
    with db.transaction() as session:
        enqueue(session, [Due("T0001", ana, "closure", "pair:1", batched=False)], clock.now())
    first = Ledger(db, clock, worker="first", lease=timedelta(minutes=2))
    second = Ledger(db, clock, worker="second", lease=timedelta(minutes=2))
    [claimed] = first.claim(10)
    assert second.claim(10) == []
    # The first worker dies. Until the lease runs out nobody else takes the row...
    clock.advance(seconds=119)
    assert second.claim(10) == []
    # ...then the second one does, and the first can no longer send it.
    clock.advance(seconds=2)
    [again] = second.claim(10)
    assert again.id == claimed.id
    with db.transaction() as session:
        assert not first.begin_send(session, claimed)
        assert second.begin_send(session, again)
    assert second.mark_sent(again, "D1", "2.0")
    assert not first.mark_sent(claimed, "D1", "3.0")
    assert [r.status for r in deliveries(db)] == ["sent"]


def test_a_send_is_not_begun_with_too_little_lease_left(db: Database) -> None:
    clock = FakeClock(MONDAY_10)
    ana, _ben = _people(db, clock)
    with db.transaction() as session:
        enqueue(session, [Due("T0001", ana, "closure", "pair:1", batched=False)], clock.now())
    ledger = Ledger(db, clock, worker="w", lease=timedelta(minutes=2))
    [claimed] = ledger.claim(10)
    clock.advance(seconds=100)  # 20 s left: less than a quarter of the lease
    with db.transaction() as session:
        assert not ledger.begin_send(session, claimed)


def test_a_paused_person_gets_nothing_scheduled_until_the_pause_ends(db: Database) -> None:
    from sqlalchemy import update

    from core.people.models import Participation

    clock = FakeClock(MONDAY_10)
    ana, _ben = _people(db, clock)
    with db.transaction() as session:
        session.execute(
            update(Participation)
            .where(Participation.person_id == ana)
            .values(paused_until=MONDAY_10 + timedelta(days=2))
        )
        enqueue(session, [Due("T0001", ana, "meeting_nudge", "pair:1", "x")], clock.now())
        enqueue(session, [Due("T0001", ana, "closure", "pair:1", batched=False)], clock.now())
    ledger = Ledger(db, clock, worker="w")
    # Only the reply to something she did goes; the nudge waits for the end of the pause.
    assert [m.kind for m in ledger.claim(10)] == ["closure"]
    nudge = deliveries(db, kind="meeting_nudge")[0]
    assert nudge.not_before == datetime(2026, 3, 18, 10, 0, tzinfo=UTC)


def test_an_unreachable_person_is_not_claimed_for(db: Database) -> None:
    from sqlalchemy import update

    from core.people.models import Person

    clock = FakeClock(MONDAY_10)
    ana, _ben = _people(db, clock)
    with db.transaction() as session:
        session.execute(update(Person).where(Person.id == ana).values(unreachable=True))
        enqueue(session, [Due("T0001", ana, "closure", "pair:1", batched=False)], clock.now())
    assert Ledger(db, clock, worker="w").claim(10) == []
    assert [(r.status, r.last_error) for r in deliveries(db)] == [("failed", "unreachable")]


def test_an_item_joins_a_digest_waiting_out_a_rate_limit(db: Database) -> None:
    """The day's digest exists, pending but not due (released after a 429): a new item does
    not get a message of its own; it rides along with that digest when it is due again."""
    clock = FakeClock(MONDAY_10)
    ana, _ben = _people(db, clock)
    with db.transaction() as session:
        enqueue(session, [Due("T0001", ana, "meeting_nudge", "pair:1", "a")], clock.now())
    ledger = Ledger(db, clock, worker="w1")
    [digest] = ledger.claim(100)
    ledger.release(digest, clock.now() + timedelta(minutes=1), error="ratelimited")
    with db.transaction() as session:
        enqueue(session, [Due("T0001", ana, "checkin", "pair:1", "1")], clock.now())
    assert ledger.claim(100) == []  # the digest is not due yet; the item waits inside it
    clock.advance(seconds=61)
    [again] = ledger.claim(100)
    assert again.id == digest.id
    assert sorted(i.kind for i in again.items) == ["checkin", "meeting_nudge"]
    assert len(deliveries(db, kind="digest")) == 1
