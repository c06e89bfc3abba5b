"""One working-time calendar for every schedule: a program's `working_days` and
`default_timezone` decide when a mentor request is reminded and expires and when a scheduled
nudge goes out, all alike. Here a program works Sunday to Thursday in Dubai, and its mentors
have no time zone in Slack: whatever falls on the Dubai weekend (Friday, Saturday) waits for
Sunday, the first day of its working week. On both databases, through the public services."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.coordination.service import save_settings
from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.matchmaking import service as svc
from core.messaging.ledger import Due, Ledger, enqueue
from core.people.models import Person
from core.programs.service import program_settings
from tests.matching_data import HEADER, TEAM, seed
from tests.relationship_support import deliveries

DUBAI = ZoneInfo("Asia/Dubai")
SUNDAY_TO_THURSDAY = [7, 1, 2, 3, 4]

# Two mentees, each with a mentor of their own; nobody has a time zone in Slack.
PEOPLE = HEADER + (
    "U_MIA,Mia Noor,,Engineering,Engineer,mentee,public-speaking,,,,en,remote\n"
    "U_OMAR,Omar Haddad,,Sales,Sales lead,mentor,,public-speaking,1,,en,remote\n"
    "U_NOOR,Noor Saleh,,Finance,Analyst,mentee,negotiation,,,,en,remote\n"
    "U_YUSUF,Yusuf Ali,,Legal,Counsel,mentor,,negotiation,1,,en,remote\n"
)


def dubai(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026 in Dubai (1 March is a Sunday), as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=DUBAI).astimezone(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dubai(1, 9))


@pytest.fixture
def dubai_program(db: Database, clock: FakeClock) -> None:
    seed(db, clock, PEOPLE)
    with db.transaction() as session:
        program = svc.find_program(session, TEAM)
        assert program is not None and program.is_default
        save_settings(
            session,
            program,
            {
                "working_days": SUNDAY_TO_THURSDAY,
                "default_timezone": "Asia/Dubai",
                "working_hours": {"start": 9, "end": 17},
                "request_reminder_days": 2,
                "request_expiry_days": 4,
            },
        )


def ask(db: Database, clock: FakeClock, mentee: str, mentor: str) -> svc.RequestOutcome:
    with db.transaction() as session:
        offered = svc.shortlist_for_user(session, TEAM, mentee, clock)
        assert offered is not None and offered.shortlist_id is not None
        [candidate] = [c for c in offered.candidates if c.mentor.user_id == mentor]
        made = svc.request_mentor(
            session,
            team_id=TEAM,
            user_id=mentee,
            shortlist_id=offered.shortlist_id,
            mentor_id=candidate.mentor.participation_id,
            clock=clock,
        )
    assert made.status == "ok" and made.request_id is not None
    return made


def due(db: Database, clock: FakeClock, when: datetime) -> tuple[list[int], list[int]]:
    """(reminders due, expiries due) at `when`."""
    clock.set(when)
    with db.transaction() as session:
        return svc.due_reminders(session, clock), svc.due_expiries(session, clock)


def person_id(db: Database, user_id: str) -> int:
    with db.transaction() as session:
        return int(session.scalars(select(Person.id).where(Person.slack_user_id == user_id)).one())


@pytest.mark.usefixtures("dubai_program")
def test_reminders_expiry_and_nudges_keep_the_programs_working_days(
    db: Database, clock: FakeClock
) -> None:
    # Monday 11:00: Noor asks Yusuf. Tuesday, Wednesday, Thursday and Sunday are the four
    # working days before it expires (Friday and Saturday are not working days in Dubai).
    clock.set(dubai(2, 11))
    noor = ask(db, clock, "U_NOOR", "U_YUSUF")
    assert noor.expires_at == dubai(8, 11)
    # Wednesday 11:00: Mia asks Omar. Thursday and Sunday are the two working days before
    # her reminder; Thursday, Sunday, Monday and Tuesday before it expires.
    clock.set(dubai(4, 11))
    mia = ask(db, clock, "U_MIA", "U_OMAR")
    assert mia.expires_at == dubai(10, 11)

    # A nudge for Omar that comes due on Friday waits for the working week too.
    clock.set(dubai(6, 10))
    omar = person_id(db, "U_OMAR")
    with db.transaction() as session:
        enqueue(session, [Due(TEAM, omar, "meeting_nudge", "pair:1", "p1")], clock.now())
    ledger = Ledger(db, clock, worker="w")
    assert ledger.claim(10) == []
    [nudge] = deliveries(db, kind="meeting_nudge")
    assert nudge.not_before == dubai(8, 9)

    # Nothing is reminded or expires over the Dubai weekend.
    for weekend in (dubai(6, 11), dubai(6, 16), dubai(7, 11), dubai(7, 16), dubai(8, 10, 59)):
        reminders, expiries = due(db, clock, weekend)
        assert mia.request_id not in reminders
        assert expiries == []
    # Sunday is a working day: the nudge goes out at 09:00, and at 11:00 Mia's request is
    # reminded and Noor's expires.
    clock.set(dubai(8, 9))
    assert [i.kind for m in ledger.claim(10) for i in m.items] == ["meeting_nudge"]
    reminders, expiries = due(db, clock, dubai(8, 11))
    assert mia.request_id in reminders
    assert expiries == [noor.request_id]
    with db.transaction() as session:
        assert len(svc.plan_reminders(session, clock)) == 1
        reminder = svc.reminder_to_send(session, mia.request_id or 0, clock.now())
    assert reminder is not None and reminder.expires_at == dubai(10, 11)


def test_a_reminder_waits_for_working_hours_in_the_programs_time_zone() -> None:
    settings = program_settings(None).with_stored(
        {
            "working_days": SUNDAY_TO_THURSDAY,
            "default_timezone": "Asia/Dubai",
            "working_hours": {"start": 9, "end": 17},
            "request_reminder_days": 2,
            "request_expiry_days": 4,
        }
    )
    # Thursday 20:00 in Dubai, a mentor without a time zone: Sunday and Monday are the two
    # working days; Monday 20:00 is after hours, so the reminder comes on Tuesday at 09:00.
    remind, expires = svc.request_deadlines(dubai(5, 20), settings, None)
    assert remind == dubai(10, 9)
    assert expires == dubai(11, 20)  # Sunday, Monday, Tuesday, Wednesday
    # A mentor whose Slack zone is known keeps it, on the program's working days.
    remind, _ = svc.request_deadlines(dubai(5, 20), settings, "Europe/London")
    london = ZoneInfo("Europe/London")
    assert remind == datetime(2026, 3, 9, 16, 0, tzinfo=london).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "days", "tz", "expected"),
    [
        ("2026-03-02T09:00+04:00", 2, None, "2026-03-04T09:00+04:00"),  # Monday -> Wednesday
        ("2026-03-05T15:00+04:00", 1, None, "2026-03-08T15:00+04:00"),  # Thursday -> Sunday
        ("2026-03-06T10:00+04:00", 1, None, "2026-03-08T10:00+04:00"),  # Friday -> Sunday
        ("2026-03-07T10:00+04:00", 2, None, "2026-03-09T10:00+04:00"),  # Saturday -> Monday
        # Thursday 22:00 in UTC is Friday 02:00 in Dubai, the zone of people without one.
        ("2026-03-05T22:00+00:00", 1, "UTC", "2026-03-08T22:00+00:00"),
        ("2026-03-05T22:00+00:00", 1, None, "2026-03-08T02:00+04:00"),
    ],
)
def test_add_working_days_on_a_sunday_to_thursday_week(
    start: str, days: int, tz: str | None, expected: str
) -> None:
    hours = WorkingHours(days=frozenset(SUNDAY_TO_THURSDAY), fallback_tz="Asia/Dubai")
    moved = hours.add_working_days(datetime.fromisoformat(start), days, tz)
    assert moved == datetime.fromisoformat(expected)
    assert moved.tzinfo == UTC
