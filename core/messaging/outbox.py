"""Coordinator messages to many people (announcements, invitations) and the weekly digest,
sent through delivery ledgers: one row per recipient, claimed with a conditional update
before sending and marked once sent, so nobody gets the same message twice even with
several replicas, retries or restarts. Sending is paced and kept to each recipient's
working hours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import add_if_new
from core.kernel.worktime import WorkingHours, zone
from core.messaging.outbox_models import (
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_SENDING,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    KIND_ANNOUNCE,
    KIND_INVITE,
    Announcement,
    AnnouncementDelivery,
    DigestDelivery,
)
from core.onboarding.service import find_participation
from core.people.directory import find_person
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.models import Program
from core.programs.service import program_settings
from core.programs.settings import ProgramSettings

ANNOUNCEMENT_MAX_CHARS = 2000


class OutboxError(ValueError):
    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


def within_working_hours(timezone: str | None, settings: ProgramSettings, now: datetime) -> bool:
    """Is it a working day and hour where the person is (the program's working hours and
    days; people without a known zone get the program's default one)?"""
    return WorkingHours.from_settings(settings).contains(now, timezone)


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
) -> tuple[Announcement, int]:
    """An announcement to every participant of the program (not those who left or paused).
    Returns it with the number of recipients queued."""
    text = (body or "").strip()
    if not text:
        raise OutboxError("announcement_empty")
    if len(text) > ANNOUNCEMENT_MAX_CHARS:
        raise OutboxError("announcement_too_long", limit=ANNOUNCEMENT_MAX_CHARS)
    now = clock.now()
    recipients = {p.slack_user_id for p in _recipients(session, program, now)}
    announcement = _create(session, program, KIND_ANNOUNCE, text, by, now, recipients)
    return announcement, len(recipients)


def create_invitation(
    session: Session, program: Program, user_ids: Iterable[str], *, by: str, clock: Clock
) -> tuple[Announcement, int, int]:
    """Invitations to join the program. People already taking part are skipped.
    Returns (invitation, queued, skipped)."""
    wanted = list(dict.fromkeys(u for u in user_ids if u))
    taking_part = set(
        session.scalars(
            select(Person.slack_user_id)
            .join(Participation, Participation.person_id == Person.id)
            .where(Participation.program_id == program.id, Participation.status != STATUS_LEFT)
        )
    )
    queued = [u for u in wanted if u not in taking_part]
    announcement = _create(session, program, KIND_INVITE, None, by, clock.now(), queued)
    return announcement, len(queued), len(wanted) - len(queued)


def _create(
    session: Session,
    program: Program,
    kind: str,
    body: str | None,
    by: str,
    now: datetime,
    user_ids: Iterable[str],
) -> Announcement:
    """Store the announcement (or invitation) and queue one delivery per recipient."""
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
    for user_id in sorted(set(user_ids)):
        session.add(
            AnnouncementDelivery(
                team_id=announcement.team_id,
                program_id=announcement.program_id,
                announcement_id=announcement.id,
                slack_user_id=user_id,
                status=DELIVERY_PENDING,
                attempts=0,
            )
        )
    session.flush()
    return announcement


@dataclass
class Claimed:
    delivery_id: int
    announcement_id: int
    kind: str
    user_id: str
    program: str
    program_id: int
    body: str | None
    created_by: str


def claim_due(
    session: Session, team_id: str, clock: Clock, *, limit: int, max_attempts: int = 3
) -> list[Claimed]:
    """Claim up to `limit` pending deliveries whose recipient is within working hours.
    Deliveries no longer wanted (the person left, or joined before their invitation went
    out) are skipped."""
    now = clock.now()
    claimed: list[Claimed] = []
    pending = session.scalars(
        select(AnnouncementDelivery)
        .where(
            AnnouncementDelivery.team_id == team_id,
            AnnouncementDelivery.status == DELIVERY_PENDING,
        )
        .order_by(AnnouncementDelivery.id)
        .limit(limit * 5)
    ).all()
    settings_cache: dict[int, ProgramSettings] = {}
    for delivery in pending:
        if len(claimed) >= limit:
            break
        announcement = session.get(Announcement, delivery.announcement_id)
        program = session.get(Program, delivery.program_id)
        if announcement is None or program is None:
            continue
        person = find_person(session, team_id, delivery.slack_user_id)
        participation = find_participation(session, person, program) if person else None
        taking_part = participation is not None and participation.status != STATUS_LEFT
        wanted = taking_part if announcement.kind == KIND_ANNOUNCE else not taking_part
        if not wanted or (person is not None and person.unreachable):
            _set(session, delivery.id, DELIVERY_PENDING, DELIVERY_SKIPPED, clock)
            continue
        if program.id not in settings_cache:
            settings_cache[program.id] = program_settings(program)
        timezone = person.timezone if person is not None else None
        if not within_working_hours(timezone, settings_cache[program.id], now):
            continue
        if _mark_sending(session, delivery.id, now):
            claimed.append(_claimed(delivery, announcement, program))
    return claimed


def _mark_sending(session: Session, delivery_id: int, now: datetime) -> bool:
    """Pending -> sending, counting the attempt; False if another worker got there first."""
    result = session.execute(
        update(AnnouncementDelivery)
        .where(
            AnnouncementDelivery.id == delivery_id,
            AnnouncementDelivery.status == DELIVERY_PENDING,
        )
        .values(
            status=DELIVERY_SENDING,
            claimed_at=now,
            attempts=AnnouncementDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _claimed(
    delivery: AnnouncementDelivery, announcement: Announcement, program: Program
) -> Claimed:
    return Claimed(
        delivery_id=delivery.id,
        announcement_id=announcement.id,
        kind=announcement.kind,
        user_id=delivery.slack_user_id,
        program=program.name,
        program_id=program.id,
        body=announcement.body,
        created_by=announcement.created_by,
    )


def _set(session: Session, delivery_id: int, old: str, new: str, clock: Clock) -> bool:
    values: dict[str, Any] = {"status": new}
    if new == DELIVERY_SENT:
        values["sent_at"] = clock.now()
    result = session.execute(
        update(AnnouncementDelivery)
        .where(AnnouncementDelivery.id == delivery_id, AnnouncementDelivery.status == old)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def mark_sent(session: Session, delivery_id: int, clock: Clock) -> None:
    _set(session, delivery_id, DELIVERY_SENDING, DELIVERY_SENT, clock)


def mark_failed(session: Session, delivery_id: int, clock: Clock, *, retry: bool) -> None:
    """A send failed: back to pending for a passing problem (rate limit), else failed."""
    delivery = session.get(AnnouncementDelivery, delivery_id)
    if delivery is None:
        return
    again = retry and delivery.attempts < 3
    _set(
        session,
        delivery_id,
        DELIVERY_SENDING,
        DELIVERY_PENDING if again else DELIVERY_FAILED,
        clock,
    )


def delivery_counts(session: Session, announcement_id: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in session.scalars(
        select(AnnouncementDelivery.status).where(
            AnnouncementDelivery.announcement_id == announcement_id
        )
    ):
        out[status] = out.get(status, 0) + 1
    return out


# --- the weekly digest ledger ---------------------------------------------------------------


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


def claim_digest(session: Session, program: Program, user_id: str, week: str, clock: Clock) -> bool:
    """Claim this week's digest for a coordinator. False if it was already claimed."""
    return add_if_new(
        session,
        DigestDelivery(
            team_id=program.team_id,
            program_id=program.id,
            slack_user_id=user_id,
            week=week,
            status=DELIVERY_SENDING,
            created_at=clock.now(),
        ),
    )


def mark_digest(
    session: Session, program_id: int, user_id: str, week: str, clock: Clock, *, sent: bool
) -> None:
    session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.program_id == program_id,
            DigestDelivery.slack_user_id == user_id,
            DigestDelivery.week == week,
        )
        .values(
            status=DELIVERY_SENT if sent else DELIVERY_FAILED,
            sent_at=clock.now() if sent else None,
        )
        .execution_options(synchronize_session=False)
    )


def release(session: Session, delivery_id: int) -> None:
    """Put a claimed delivery back (not yet the recipient's working hours)."""
    session.execute(
        update(AnnouncementDelivery)
        .where(
            AnnouncementDelivery.id == delivery_id,
            AnnouncementDelivery.status == DELIVERY_SENDING,
        )
        .values(status=DELIVERY_PENDING, attempts=AnnouncementDelivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )
