"""When a pending mentor request is due a reminder and when it expires: its deadlines in the
program's working days (on the one calendar, `core.kernel.worktime`), the sweeps' lists of
what is due, and the once-only claim of a reminder. (Expiring a request is an answer: :func:`core.matchmaking.answers.expire_request`.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.worktime import WorkingHours
from core.matchmaking.answers import _answer_context
from core.matchmaking.lookups import _goals
from core.matchmaking.models import REQUEST_PENDING, MentorRequest
from core.matchmaking.outcomes import ReminderDue
from core.programs.settings import ProgramSettings


def request_deadlines(
    created: datetime, settings: ProgramSettings, tz: str | None
) -> tuple[datetime, datetime]:
    """(remind_at, expires_at) for a request made at `created` to a mentor in `tz`, on the
    program's working-time calendar (:class:`WorkingHours`: its `working_days`, and its
    `default_timezone` when the mentor's zone is unknown): expiry `request_expiry_days`
    working days later, the reminder `request_reminder_days` working days later, moved to the
    start of the mentor's next working hours when it falls outside them (never after expiry)."""
    remind_days = settings.request_reminder_days
    expiry_days = settings.request_expiry_days
    hours = WorkingHours.from_settings(settings)
    expires_at = hours.add_working_days(created, expiry_days, tz)
    remind_at = hours.next_start(hours.add_working_days(created, remind_days, tz), tz)
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
        team_id=request.team_id,
    )


def release_reminder(session: Session, request_id: int) -> None:
    """Undo a claim whose message Slack refused, so the next sweep tries again."""
    session.execute(
        update(MentorRequest)
        .where(MentorRequest.id == request_id, MentorRequest.status == REQUEST_PENDING)
        .values(reminded_at=None)
    )
