"""Coordinator messages to many people (announcements, invitations) and the weekly digest,
sent through the delivery ledger (`core.messaging.ledger`): one ledger row per recipient,
keyed (recipient, kind, subject, period), claimed with a lease and settled once, so nobody
gets the same message twice even with several replicas, retries or a crash mid-send.

`announcements` keeps what the coordinator wrote; a ledger row's payload names it by id.
Announcements and invitations wait for each recipient's working hours and the end of a pause
(`core.messaging.models.IN_WORKING_HOURS`); the deliverer paces them. When its turn comes, a
row for someone who left (an announcement) or joined meanwhile (an invitation) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.coordination.models import Coordinator
from core.kernel.clock import Clock
from core.kernel.worktime import WorkingHours, zone
from core.messaging.ledger import Due, enqueue, enqueue_now
from core.messaging.models import (
    ANNOUNCEMENT,
    COORDINATOR_DIGEST,
    INVITATION,
    Delivery,
)
from core.messaging.outbox_models import KIND_ANNOUNCE, KIND_INVITE, Announcement
from core.people.directory import find_person, upsert_person
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.lifecycle import workspace_active
from core.programs.models import Program
from core.programs.settings import ProgramSettings

ANNOUNCEMENT_MAX_CHARS = 2000
LEDGER_KIND = {KIND_ANNOUNCE: ANNOUNCEMENT, KIND_INVITE: INVITATION}


class OutboxError(ValueError):
    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


def _recipients(session: Session, program: Program, now: datetime) -> list[Person]:
    people = []
    for p in session.scalars(
        select(Participation).where(
            Participation.program_id == program.id, Participation.status != STATUS_LEFT
        )
    ):
        if p.paused_until is not None and p.paused_until > now:
            continue
        if p.person.unreachable:
            continue
        people.append(p.person)
    return people


def create_announcement(
    session: Session, program: Program, body: str, *, by: str, clock: Clock
) -> tuple[Announcement, list[int]]:
    """An announcement to every participant of the program (not those who left or paused).
    Returns it with the ledger ids of its messages."""
    text = (body or "").strip()
    if not text:
        raise OutboxError("announcement_empty")
    if len(text) > ANNOUNCEMENT_MAX_CHARS:
        raise OutboxError("announcement_too_long", limit=ANNOUNCEMENT_MAX_CHARS)
    now = clock.now()
    recipients = {p.id for p in _recipients(session, program, now)}
    announcement = _create(session, program, KIND_ANNOUNCE, text, by, now)
    return announcement, _queue(session, announcement, recipients, now)


def create_invitation(
    session: Session, program: Program, user_ids: Iterable[str], *, by: str, clock: Clock
) -> tuple[Announcement, list[int], int]:
    """Invitations to join the program. People already taking part are skipped; someone the
    bot never saw gets a minimal `people` row (Slack user id only; their working hours are
    the program's default zone's until their profile is read).
    Returns (invitation, ledger ids, skipped)."""
    wanted = list(dict.fromkeys(u for u in user_ids if u))
    taking_part = set(
        session.scalars(
            select(Person.slack_user_id)
            .join(Participation, Participation.person_id == Person.id)
            .where(Participation.program_id == program.id, Participation.status != STATUS_LEFT)
        )
    )
    queued = [u for u in wanted if u not in taking_part]
    now = clock.now()
    recipients = set()
    for user_id in queued:
        person = find_person(session, program.team_id, user_id)
        if person is None:
            person = upsert_person(session, program.team_id, None, user_id, clock)
        recipients.add(person.id)
    invitation = _create(session, program, KIND_INVITE, None, by, now)
    return invitation, _queue(session, invitation, recipients, now), len(wanted) - len(queued)


def _create(
    session: Session, program: Program, kind: str, body: str | None, by: str, now: datetime
) -> Announcement:
    announcement = Announcement(
        team_id=program.team_id,
        program_id=program.id,
        kind=kind,
        body=body,
        created_by=by,
        created_at=now,
    )
    session.add(announcement)
    session.flush()
    return announcement


def _queue(
    session: Session, announcement: Announcement, person_ids: Iterable[int], now: datetime
) -> list[int]:
    """One ledger row per recipient (sent on its own, in their working hours)."""
    kind = LEDGER_KIND[announcement.kind]
    subject = str(announcement.id)
    enqueue(
        session,
        [
            Due(
                team_id=announcement.team_id,
                recipient_id=person_id,
                kind=kind,
                subject=subject,
                due_at=now,
                batched=False,
                payload={"announcement": announcement.id},
            )
            for person_id in sorted(set(person_ids))
        ],
        now,
    )
    return list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.kind == kind, Delivery.subject == subject)
            .order_by(Delivery.id)
        )
    )


@dataclass(frozen=True)
class AnnouncementDue:
    """What an announcement or invitation says when its turn comes."""

    kind: str  # KIND_ANNOUNCE or KIND_INVITE
    program: str
    program_id: int
    body: str | None
    created_by: str


def announcement_to_send(
    session: Session, announcement_id: int, recipient_id: int
) -> AnnouncementDue | None:
    """The message for one recipient, or None when it is no longer wanted: the person left
    the program (an announcement) or takes part already (an invitation)."""
    announcement = session.get(Announcement, announcement_id)
    program = session.get(Program, announcement.program_id) if announcement else None
    if announcement is None or program is None:
        return None
    status = session.scalar(
        select(Participation.status).where(
            Participation.program_id == program.id, Participation.person_id == recipient_id
        )
    )
    taking_part = status is not None and status != STATUS_LEFT
    if taking_part != (announcement.kind == KIND_ANNOUNCE):
        return None
    return AnnouncementDue(
        announcement.kind, program.name, program.id, announcement.body, announcement.created_by
    )


def delivery_counts(session: Session, announcement_id: int) -> dict[str, int]:
    """How many of an announcement's (or invitation's) messages are pending, sent, failed
    (unreachable, or Slack refused for good) or dropped (no longer wanted)."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(
            Delivery.kind.in_((ANNOUNCEMENT, INVITATION)),
            Delivery.subject == str(announcement_id),
        )
        .group_by(Delivery.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


# --- the weekly digest -----------------------------------------------------------------------


def iso_week(local: datetime) -> str:
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(timezone: str | None, settings: ProgramSettings, now: datetime) -> str | None:
    """The ISO week to send a digest for if it is Monday morning where the coordinator is
    (from the start of working hours until noon, or for the first working hour), else None."""
    hours = WorkingHours.from_settings(settings)
    local = now.astimezone(zone(timezone, hours.fallback_tz))
    if local.isoweekday() != 1 or not hours.start <= local.hour < max(hours.start + 1, 12):
        return None
    return iso_week(local)


def plan_digest(
    session: Session, program: Program, person: Person, week: str, now: datetime
) -> int | None:
    """This week's digest for a coordinator, as one ledger row keyed (coordinator, kind,
    program, ISO week): a second sweep (or replica) adds nothing. Returns its id while it
    still needs sending, None once it was handled."""
    return enqueue_now(
        session,
        Due(
            team_id=program.team_id,
            recipient_id=person.id,
            kind=COORDINATOR_DIGEST,
            subject=str(program.id),
            period=week,
            due_at=now,
            batched=False,
            payload={"program": program.id},
        ),
        now,
    )


def digest_program(session: Session, program_id: int, user_id: str) -> Program | None:
    """The program a planned digest reports on, if its recipient still coordinates it (and
    the workspace is active); None drops the digest."""
    program = session.get(Program, program_id)
    if program is None or not workspace_active(session, program.team_id):
        return None
    coordinator = session.scalar(
        select(Coordinator.id).where(
            Coordinator.program_id == program_id, Coordinator.slack_user_id == user_id
        )
    )
    return program if coordinator is not None else None
