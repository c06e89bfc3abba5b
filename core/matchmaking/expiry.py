"""When a pending mentor request is due a reminder and when it expires: its deadlines in the
program's working days (on the one calendar, `core.kernel.worktime`), the sweeps' lists of
what is due, and the reminder planned once into the delivery ledger. (Expiring a request is an answer: :func:`core.matchmaking.answers.expire_request`.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.worktime import WorkingHours
from core.matchmaking.answers import _answer_context
from core.matchmaking.lookups import _goals
from core.matchmaking.models import REQUEST_PENDING, MentorRequest
from core.matchmaking.outcomes import ReminderDue
from core.messaging.ledger import Due, enqueue_now
from core.people.models import Participation
from core.programs.models import Workspace
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


def installed(team_id: Any) -> Any:
    """Only workspaces that have the app: while uninstalled (until a reinstall restores it
    or the purge sweep deletes it) a workspace's requests are left exactly as they were."""
    return team_id.in_(select(Workspace.team_id).where(Workspace.uninstalled_at.is_(None)))


def due_expiries(session: Session, clock: Clock, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(MentorRequest.id)
            .where(
                MentorRequest.status == REQUEST_PENDING,
                MentorRequest.expires_at <= clock.now(),
                installed(MentorRequest.team_id),
            )
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
                installed(MentorRequest.team_id),
            )
            .order_by(MentorRequest.remind_at)
            .limit(limit)
        )
    )


REMINDER_KIND = "request_reminder"  # the delivery ledger's kind for a mentor's one reminder


def plan_reminders(session: Session, clock: Clock, limit: int = 500) -> list[int]:
    """Put each due reminder in the delivery ledger, once: one row keyed (mentor, kind,
    request) that the deliverer sends with a lease, so two sweeps, a crash or a retry never
    send it twice. `reminded_at` records that it was planned. Returns the new ledger ids."""
    now = clock.now()
    due = session.execute(
        select(MentorRequest.id, MentorRequest.team_id, Participation.person_id)
        .join(Participation, Participation.id == MentorRequest.mentor_id)
        .where(
            MentorRequest.status == REQUEST_PENDING,
            MentorRequest.reminded_at.is_(None),
            MentorRequest.remind_at <= now,
            MentorRequest.expires_at > now,
            installed(MentorRequest.team_id),
        )
        .order_by(MentorRequest.remind_at)
        .limit(limit)
    ).all()
    ids: list[int] = []
    for request_id, team_id, person_id in due:
        new = enqueue_now(
            session,
            Due(
                team_id=team_id,
                recipient_id=person_id,
                kind=REMINDER_KIND,
                subject=f"request:{request_id}",
                due_at=now,
                batched=False,
                payload={"request": request_id},
            ),
            now,
        )
        if new is not None:
            ids.append(new)
    if due:
        session.execute(
            update(MentorRequest)
            .where(MentorRequest.id.in_([r.id for r in due]), MentorRequest.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def reminder_to_send(session: Session, request_id: int, now: datetime) -> ReminderDue | None:
    """What a planned reminder says, when it is its turn: None if the request was answered,
    withdrawn or has expired meanwhile (then nothing is sent)."""
    request = session.get(MentorRequest, request_id)
    if request is None or request.status != REQUEST_PENDING or request.expires_at <= now:
        return None
    mentee, mentor, settings, _ = _answer_context(session, request)
    if mentee is None or mentor is None:
        return None
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
