"""Small reads and guards the request and answer use cases share: a participation as a
:class:`PersonRef`, a mentee's goals, a mentor's load, row locks in a fixed order, who owns a
shortlist or request, and excluding a mentor from a mentee's next lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.matchmaking.models import (
    PAIR_ACTIVE,
    REQUEST_PENDING,
    MatchExclusion,
    MentorRequest,
    Pair,
    Shortlist,
)
from core.matchmaking.outcomes import GoalInfo, MessageRef, PersonRef
from core.people.models import STATUS_ACTIVE, Goal, Participation, Person
from core.people.profiles import competency_name
from core.programs.models import Program


def _ref(session: Session, participation_id: int) -> PersonRef | None:
    row = session.execute(
        select(Participation.id, Person.slack_user_id, Person.display_name, Person.title)
        .join(Person, Person.id == Participation.person_id)
        .where(Participation.id == participation_id)
    ).first()
    if row is None:
        return None
    pid, slack_id, name, title = row
    return PersonRef(pid, slack_id, name or slack_id, title)


def _goals(session: Session, mentee_id: int) -> tuple[GoalInfo, ...]:
    return tuple(
        GoalInfo(competency_name(c), s)
        for c, s in session.execute(
            select(Goal.competency_id, Goal.success)
            .where(Goal.participation_id == mentee_id)
            .order_by(Goal.priority, Goal.position)
        )
    )


def _lock(session: Session, participation_ids: Iterable[int]) -> dict[int, Participation]:
    """Lock participation rows (in id order, so two transactions never deadlock) and read
    them fresh. FOR UPDATE on PostgreSQL; SQLite renders nothing (BEGIN IMMEDIATE holds the
    write lock already)."""
    rows = session.scalars(
        select(Participation)
        .where(Participation.id.in_(sorted(set(participation_ids))))
        .order_by(Participation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {p.id: p for p in rows}


def mentor_load(session: Session, mentor_id: int) -> int:
    """Active pairs plus pending requests of a mentor participation."""
    pending = session.scalar(
        select(func.count())
        .select_from(MentorRequest)
        .where(MentorRequest.mentor_id == mentor_id, MentorRequest.status == REQUEST_PENDING)
    )
    active = session.scalar(
        select(func.count())
        .select_from(Pair)
        .where(Pair.mentor_id == mentor_id, Pair.status == PAIR_ACTIVE)
    )
    return int(pending or 0) + int(active or 0)


def _pending_request(session: Session, mentee_id: int) -> MentorRequest | None:
    return session.scalars(
        select(MentorRequest).where(
            MentorRequest.mentee_id == mentee_id, MentorRequest.status == REQUEST_PENDING
        )
    ).first()


def _has_active_pair(session: Session, mentee_id: int) -> bool:
    return (
        session.scalar(
            select(Pair.id).where(Pair.mentee_id == mentee_id, Pair.status == PAIR_ACTIVE)
        )
        is not None
    )


def _person_of(session: Session, participation: Participation) -> Person:
    person = session.get(Person, participation.person_id)
    assert person is not None
    return person


def _available(participation: Participation, person: Person, now: datetime) -> bool:
    paused = participation.paused_until is not None and participation.paused_until > now
    return (
        participation.status == STATUS_ACTIVE
        and participation.confirmed
        and participation.is_mentor
        and not paused
        and not person.unreachable
    )


def _exclude(
    session: Session, team_id: str, mentee_id: int, mentor_id: int, reason: str, now: datetime
) -> bool:
    exists = session.scalar(
        select(MatchExclusion.id).where(
            MatchExclusion.mentee_id == mentee_id, MatchExclusion.mentor_id == mentor_id
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                MatchExclusion(
                    team_id=team_id,
                    mentee_id=mentee_id,
                    mentor_id=mentor_id,
                    reason=reason,
                    created_at=now,
                )
            )
    except IntegrityError:  # a concurrent exclusion of the same pair
        return False
    return True


def _program_of(session: Session, program_id: int) -> Program:
    program = session.get(Program, program_id)
    assert program is not None
    return program


def _candidate_ids(shortlist: Shortlist) -> list[int]:
    return [
        c["mentor_id"]
        for c in shortlist.candidates or []
        if isinstance(c, Mapping) and isinstance(c.get("mentor_id"), int)
    ]


def _shortlist_message(shortlist: Shortlist) -> MessageRef | None:
    if shortlist.message_channel and shortlist.message_ts:
        return MessageRef(shortlist.message_channel, shortlist.message_ts)
    return None


def _owned_by(session: Session, participation_id: int, team_id: str, user_id: str) -> bool:
    row = session.execute(
        select(Person.team_id, Person.slack_user_id)
        .join(Participation, Participation.person_id == Person.id)
        .where(Participation.id == participation_id)
    ).first()
    return row is not None and row[0] == team_id and row[1] == user_id
