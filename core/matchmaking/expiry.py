"""When a pending mentor request is due a reminder and when it expires: its deadlines in
working days, the sweeps' lists of what is due, and the once-only claim of a reminder.
(Expiring a request is an answer: :func:`core.matchmaking.answers.expire_request`.)"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.matchmaking.answers import _answer_context
from core.matchmaking.lookups import _goals
from core.matchmaking.models import REQUEST_PENDING, MentorRequest
from core.matchmaking.outcomes import ReminderDue

WEEKDAYS = 5  # Monday to Friday are working days


def _zone(tz: str | None) -> ZoneInfo:
    if tz:
        try:
            return ZoneInfo(tz)
        except Exception:
            pass
    return ZoneInfo("UTC")


def add_working_days(start: datetime, days: int, tz: str | None = None) -> datetime:
    """`start` moved forward by `days` working days (Monday to Friday) in the zone `tz`.

    The time of day is kept (wall clock): Monday 10:00 + 2 = Wednesday 10:00, Friday 15:00 + 1
    = Monday 15:00, Saturday 10:00 + 1 = Monday 10:00.
    """
    if start.tzinfo is None:
        raise ValueError("add_working_days needs an aware datetime")
    local = start.astimezone(_zone(tz))
    counted = 0
    while counted < days:
        local = local + timedelta(days=1)
        if local.weekday() < WEEKDAYS:
            counted += 1
    return local.astimezone(UTC)


def within_working_hours(
    when: datetime, tz: str | None, start_hour: int, end_hour: int
) -> datetime:
    """`when`, or the start of the next working period (Mon-Fri, `start_hour` to `end_hour`
    local) if it falls outside one."""
    local = when.astimezone(_zone(tz))
    if local.weekday() < WEEKDAYS and start_hour <= local.hour < end_hour:
        return when.astimezone(UTC)
    day = local if local.hour < start_hour else local + timedelta(days=1)
    while day.weekday() >= WEEKDAYS:
        day = day + timedelta(days=1)
    begin = day.replace(hour=start_hour, minute=0, second=0, microsecond=0)
    return begin.astimezone(UTC)


def request_deadlines(
    created: datetime, settings: Mapping[str, Any], tz: str | None
) -> tuple[datetime, datetime]:
    """(remind_at, expires_at) for a request made at `created` to a mentor in `tz`."""
    remind_days = int(settings.get("request_reminder_days", 2))
    expiry_days = int(settings.get("request_expiry_days", 4))
    hours = settings.get("working_hours") or {}
    start_hour, end_hour = int(hours.get("start", 9)), int(hours.get("end", 17))
    expires_at = add_working_days(created, expiry_days, tz)
    remind_at = within_working_hours(
        add_working_days(created, remind_days, tz), tz, start_hour, end_hour
    )
    return min(remind_at, expires_at), expires_at


def due_expiries(session: Session, clock: Clock, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(MentorRequest.id)
            .where(MentorRequest.status == REQUEST_PENDING, MentorRequest.expires_at <= clock.now())
            .order_by(MentorRequest.expires_at)
            .limit(limit)
        )
    )


def due_reminders(session: Session, clock: Clock, limit: int = 500) -> list[int]:
    now = clock.now()
    return list(
        session.scalars(
            select(MentorRequest.id)
            .where(
                MentorRequest.status == REQUEST_PENDING,
                MentorRequest.reminded_at.is_(None),
                MentorRequest.remind_at <= now,
                MentorRequest.expires_at > now,
            )
            .order_by(MentorRequest.remind_at)
            .limit(limit)
        )
    )


def claim_reminder(session: Session, request_id: int, clock: Clock) -> ReminderDue | None:
    """Mark a due reminder as sent (once): None if another sweep claimed it or it is not due."""
    now = clock.now()
    result = session.execute(
        update(MentorRequest)
        .where(
            MentorRequest.id == request_id,
            MentorRequest.status == REQUEST_PENDING,
            MentorRequest.reminded_at.is_(None),
            MentorRequest.remind_at <= now,
            MentorRequest.expires_at > now,
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    request = session.get(MentorRequest, request_id)
    assert request is not None
    mentee, mentor, settings, _ = _answer_context(session, request)
    assert mentee is not None and mentor is not None
    return ReminderDue(
        request_id=request_id,
        mentee=mentee,
        mentor=mentor,
        goals=_goals(session, request.mentee_id),
        created_at=request.created_at,
        expires_at=request.expires_at,
        settings=settings,
    )


def release_reminder(session: Session, request_id: int) -> None:
    """Undo a claim whose message Slack refused, so the next sweep tries again."""
    session.execute(
        update(MentorRequest)
        .where(MentorRequest.id == request_id, MentorRequest.status == REQUEST_PENDING)
        .values(reminded_at=None)
    )
