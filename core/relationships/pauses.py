"""Pauses: a person takes a break from nudges for 1, 2 or 4 weeks, or until they resume.

While paused nobody in their pairs is nudged (a meeting takes two). A pause that runs out ends
by itself in the sweep; either way the pair is told once that it is over.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.messaging.ledger import Due, enqueue
from core.people.models import Participation, Person
from core.programs.models import Program
from core.relationships.models import INDEFINITE, Pause
from core.relationships.service import (
    PairInfo,
    RelationshipError,
    pairs_of,
    person_in_program,
    send_now,
)

PAUSE_CHOICES = {"1w": 1, "2w": 2, "4w": 4}


def parse_pause(text: str) -> timedelta | None:
    """ "1w", "2w", "4w" (also "2 weeks", "2"), or nothing for "until I resume" (None)."""
    value = text.strip().lower()
    if value in ("", "until resume", "indefinitely"):
        return None
    match = re.fullmatch(r"([124])\s*(w|wk|wks|week|weeks)?", value)
    if match is None:
        raise RelationshipError("bad_pause", text=text.strip())
    return timedelta(weeks=int(match[1]))


def current_pause(session: Session, participation_id: int) -> Pause | None:
    return session.scalars(
        select(Pause)
        .where(Pause.participation_id == participation_id, Pause.ended_at.is_(None))
        .order_by(Pause.id.desc())
    ).first()


def _pairs_in_program(
    session: Session, team_id: str, user_id: str, program_id: int
) -> list[PairInfo]:
    return [p for p in pairs_of(session, team_id, user_id) if p.program_id == program_id]


def pause(
    session: Session,
    team_id: str,
    user_id: str,
    program: Program,
    length: timedelta | None,
    now: datetime,
) -> tuple[Pause, list[int]]:
    """Start (or change) a pause. Returns the pause and ledger ids to send now (partners are
    told nudges are on hold)."""
    person, participation = person_in_program(session, team_id, user_id, program)
    previous = current_pause(session, participation.id)
    if previous is not None:
        previous.ended_at, previous.end_reason = now, "replaced"
    until = now + length if length is not None else None
    record = Pause(
        team_id=team_id,
        participation_id=participation.id,
        person_id=person.id,
        started_at=now,
        until=until,
    )
    session.add(record)
    participation.paused_until = until or INDEFINITE
    participation.updated_at = now
    session.flush()
    ids: list[int] = []
    if previous is None:
        for info in _pairs_in_program(session, team_id, user_id, program.id):
            ids += send_now(
                session,
                info,
                "pause_started",
                now,
                to=[info.partner(person.id)],
                subject=f"pause:{record.id}",
                payload={"pause": record.id, "person": person.id},
            )
    return record, ids


def _end(session: Session, record: Pause, reason: str, now: datetime) -> bool:
    result = session.execute(
        update(Pause)
        .where(Pause.id == record.id, Pause.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(
        update(Participation)
        .where(
            Participation.id == record.participation_id,
            or_(
                Participation.paused_until == (record.until or INDEFINITE),
                Participation.paused_until <= now,
            ),
        )
        .values(paused_until=None)
    )
    return True


def _told_dues(
    session: Session, team_id: str, user_id: str, record: Pause, program_id: int, now: datetime
) -> list[Due]:
    """Once a pause is over, the pair is told (batched into their next scheduled message)."""
    dues = []
    for info in _pairs_in_program(session, team_id, user_id, program_id):
        for member in info.members:
            if member.unreachable:
                continue
            dues.append(
                Due(
                    team_id=team_id,
                    recipient_id=member.person_id,
                    kind="pause_ended",
                    subject=f"pause:{record.id}",
                    due_at=now,
                    payload={"pause": record.id, "person": record.person_id, "pair": info.pair_id},
                )
            )
    return dues


def resume(session: Session, team_id: str, user_id: str, program: Program, now: datetime) -> Pause:
    """End the person's pause now. The partners hear about it in their next message."""
    person, participation = person_in_program(session, team_id, user_id, program)
    record = current_pause(session, participation.id)
    if record is None:
        raise RelationshipError("not_paused")
    if not _end(session, record, "resumed", now):
        raise RelationshipError("not_paused")
    dues = [
        d
        for d in _told_dues(session, team_id, user_id, record, program.id, now)
        if d.recipient_id != person.id
    ]
    enqueue(session, dues, now)
    return record


def expire(session: Session, now: datetime, limit: int = 500) -> int:
    """End pauses that ran out; tell each pair once. Returns how many ended."""
    due = session.scalars(
        select(Pause)
        .where(Pause.ended_at.is_(None), Pause.until.is_not(None), Pause.until <= now)
        .order_by(Pause.until)
        .limit(limit)
    ).all()
    ended = 0
    for record in due:
        assert record.until is not None
        if not _end(session, record, "expired", record.until):
            continue
        ended += 1
        person = session.get(Person, record.person_id)
        participation = session.get(Participation, record.participation_id)
        if person is None or participation is None:
            continue
        enqueue(
            session,
            _told_dues(
                session, record.team_id, person.slack_user_id, record, participation.program_id, now
            ),
            now,
        )
    return ended
