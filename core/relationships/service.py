"""A mentoring relationship after the match: who is in a pair, its schedule, and how it ends.

Services take a session (one transaction each, run by the caller) and the current time, and
return what the bot should send right away as delivery ledger ids (the outbox pattern: the
state change and the message to send commit together, or neither does).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from core.kernel.db import insert_if_new
from core.kernel.worktime import zone
from core.matchmaking.models import PAIR_ACTIVE, PAIR_COMPLETED, PAIR_ENDED_EARLY, Pair
from core.messaging.ledger import Due, enqueue, enqueue_now
from core.onboarding.service import find_participation
from core.people.directory import find_person
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.models import Program
from core.programs.service import program_settings
from core.programs.settings import ProgramSettings
from core.relationships.models import CADENCE_DAYS, Agreement, Relationship, RematchRequest

Role = Literal["mentee", "mentor"]

END_COMPLETED = "completed"
END_NO_FAULT = "no_fault"
END_LEFT = "left"


class RelationshipError(Exception):
    """Something a person asked for that cannot be done. `key` names the message to show
    (`relationship.errors.<key>`); `context` fills it in."""

    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


@dataclass(frozen=True)
class Member:
    person_id: int
    user_id: str
    name: str
    participation_id: int
    role: Role
    timezone: str | None
    unreachable: bool
    paused_until: datetime | None = None


@dataclass(frozen=True)
class PairInfo:
    pair_id: int
    team_id: str
    program_id: int
    status: str
    created_at: datetime
    mentee: Member
    mentor: Member

    @property
    def members(self) -> tuple[Member, Member]:
        return self.mentee, self.mentor

    @property
    def subject(self) -> str:
        return f"pair:{self.pair_id}"

    def member(self, person_id: int) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)

    def partner(self, person_id: int) -> Member:
        return self.mentor if self.mentee.person_id == person_id else self.mentee


_MENTEE_P = aliased(Participation, name="mentee_p")
_MENTOR_P = aliased(Participation, name="mentor_p")
_MENTEE = aliased(Person, name="mentee")
_MENTOR = aliased(Person, name="mentor")


def _side(participation: Any, person: Any) -> tuple[Any, ...]:
    return (
        participation.id,
        person.id,
        person.slack_user_id,
        person.display_name,
        person.timezone,
        person.unreachable,
        participation.paused_until,
    )


# Columns only (no ORM identity map): this runs for every message the sweep renders.
_PAIR_COLUMNS = (
    Pair.id,
    Pair.team_id,
    Pair.program_id,
    Pair.status,
    Pair.created_at,
    *_side(_MENTEE_P, _MENTEE),
    *_side(_MENTOR_P, _MENTOR),
)


def _joined(query: Any) -> Any:
    return (
        query.join(_MENTEE_P, _MENTEE_P.id == Pair.mentee_id)
        .join(_MENTOR_P, _MENTOR_P.id == Pair.mentor_id)
        .join(_MENTEE, _MENTEE.id == _MENTEE_P.person_id)
        .join(_MENTOR, _MENTOR.id == _MENTOR_P.person_id)
    )


_PAIR_QUERY = _joined(select(*_PAIR_COLUMNS).select_from(Pair))


def _member(values: Sequence[Any], role: Role) -> Member:
    participation_id, person_id, user_id, name, tz, unreachable, paused_until = values
    return Member(
        person_id=person_id,
        user_id=user_id,
        name=name or user_id,
        participation_id=participation_id,
        role=role,
        timezone=tz,
        unreachable=bool(unreachable),
        paused_until=paused_until,
    )


def _info(row: Sequence[Any]) -> PairInfo:
    return PairInfo(
        pair_id=row[0],
        team_id=row[1],
        program_id=row[2],
        status=row[3],
        created_at=row[4],
        mentee=_member(row[5:12], "mentee"),
        mentor=_member(row[12:19], "mentor"),
    )


def pair_infos(session: Session, pair_ids: Iterable[int]) -> dict[int, PairInfo]:
    ids = sorted(set(pair_ids))
    if not ids:
        return {}
    return {
        info.pair_id: info
        for info in map(_info, session.execute(_PAIR_QUERY.where(Pair.id.in_(ids))).all())
    }


@dataclass(frozen=True)
class PairState:
    info: PairInfo
    relationship: Relationship | None
    agreement: Agreement | None

    def paused(self, now: datetime) -> bool:
        """Is either person taking a break from reminders?"""
        return any(m.paused_until is not None and m.paused_until > now for m in self.info.members)


_STATE_QUERY = _joined(
    select(*_PAIR_COLUMNS, Relationship, Agreement)
    .select_from(Pair)
    .outerjoin(Relationship, Relationship.pair_id == Pair.id)
    .outerjoin(Agreement, Agreement.pair_id == Pair.id)
)


def pair_state(session: Session, pair_id: Any) -> PairState | None:
    """A pair with its schedule and agreement, in one query (rendering a message)."""
    if not isinstance(pair_id, int):
        return None
    row = session.execute(_STATE_QUERY.where(Pair.id == pair_id)).first()
    if row is None:
        return None
    return PairState(_info(row[:19]), row[19], row[20])


def pair_info(session: Session, pair_id: int) -> PairInfo | None:
    return pair_infos(session, [pair_id]).get(pair_id)


def pairs_of(
    session: Session, team_id: str, user_id: str, *, active_only: bool = True
) -> list[PairInfo]:
    """The pairs a person is in (as mentee or mentor), newest first."""
    query = _PAIR_QUERY.where(
        Pair.team_id == team_id,
        or_(_MENTEE.slack_user_id == user_id, _MENTOR.slack_user_id == user_id),
    )
    if active_only:
        query = query.where(Pair.status == PAIR_ACTIVE)
    return [_info(r) for r in session.execute(query.order_by(Pair.created_at.desc())).all()]


def member_of(
    session: Session, team_id: str, user_id: str, pair_id: Any, *, active: bool = True
) -> tuple[PairInfo, Member]:
    """The pair a button points at, checked: it exists, the person is in it, it is active."""
    if not isinstance(pair_id, int):
        raise RelationshipError("not_in_pair")
    info = pair_info(session, pair_id)
    if info is None or info.team_id != team_id:
        raise RelationshipError("not_in_pair")
    member = next((m for m in info.members if m.user_id == user_id), None)
    if member is None:
        raise RelationshipError("not_in_pair")
    if active and info.status != PAIR_ACTIVE:
        raise RelationshipError("pair_closed", partner=info.partner(member.person_id).name)
    return info, member


def only_pair(
    session: Session, team_id: str, user_id: str, partner_user_id: str | None = None
) -> tuple[PairInfo, Member]:
    """The person's one active pair (or the one with `partner_user_id`), for commands."""
    pairs = pairs_of(session, team_id, user_id)
    if partner_user_id:
        pairs = [
            p
            for p in pairs
            if any(m.user_id == partner_user_id for m in p.members if m.user_id != user_id)
        ]
    if not pairs:
        raise RelationshipError("no_pair")
    if len(pairs) > 1:
        partners = [next(m for m in p.members if m.user_id != user_id).user_id for p in pairs]
        raise RelationshipError("which_pair", partners=partners)
    info = pairs[0]
    member = next(m for m in info.members if m.user_id == user_id)
    return info, member


def settings_for(session: Session, program_id: int) -> ProgramSettings:
    return program_settings(session.get(Program, program_id))


def add_months(when: datetime, months: int) -> datetime:
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def cadence_days(cadence: str) -> int:
    return CADENCE_DAYS.get(cadence, 14)


def relationship_of(session: Session, pair_id: int) -> Relationship | None:
    return session.scalars(select(Relationship).where(Relationship.pair_id == pair_id)).first()


def agreement_of(session: Session, pair_id: int) -> Agreement | None:
    return session.scalars(select(Agreement).where(Agreement.pair_id == pair_id)).first()


def ensure_relationship(
    session: Session, info: PairInfo, now: datetime, *, created_at: datetime | None = None
) -> tuple[Relationship, bool]:
    """The pair's relationship row, created on first use (concurrent callers: one row)."""
    existing = relationship_of(session, info.pair_id)
    if existing is not None:
        return existing, False
    settings = settings_for(session, info.program_id)
    start = created_at or info.created_at or now
    created = (
        insert_if_new(
            session,
            Relationship,
            ("pair_id",),
            team_id=info.team_id,
            pair_id=info.pair_id,
            program_id=info.program_id,
            created_at=now,
            agreement_nudge_at=start + timedelta(days=settings.agreement_nudge_days),
            meeting_epoch=0,
            checkin_seq=0,
        )
        is not None
    )
    relationship = relationship_of(session, info.pair_id)
    assert relationship is not None
    return relationship, created


def invite_dues(info: PairInfo, now: datetime, *, batched: bool) -> list[Due]:
    return [
        Due(
            team_id=info.team_id,
            recipient_id=m.person_id,
            kind="agreement_invite",
            subject=info.subject,
            due_at=now,
            batched=batched,
            payload={"pair": info.pair_id},
        )
        for m in info.members
        if not m.unreachable
    ]


def start_relationship(session: Session, pair_id: int, now: datetime) -> list[int]:
    """A new pair: create its schedule and invite both to set up their agreement now."""
    info = pair_info(session, pair_id)
    if info is None or info.status != PAIR_ACTIVE:
        return []
    ensure_relationship(session, info, now)
    return _enqueue(session, invite_dues(info, now, batched=False), now)


def send_now(
    session: Session,
    info: PairInfo,
    kind: str,
    now: datetime,
    *,
    to: Sequence[Member] | None = None,
    subject: str | None = None,
    period: str = "",
    payload: dict[str, Any] | None = None,
) -> list[int]:
    """Queue a message for immediate sending to `to` (default: both); returns ledger ids."""
    dues = [
        Due(
            team_id=info.team_id,
            recipient_id=member.person_id,
            kind=kind,
            subject=subject or info.subject,
            period=period,
            due_at=now,
            batched=False,
            payload={"pair": info.pair_id, **(payload or {})},
        )
        for member in (to if to is not None else info.members)
        if not member.unreachable
    ]
    return _enqueue(session, dues, now)


def _enqueue(session: Session, dues: Sequence[Due], now: datetime) -> list[int]:
    """Queue messages for sending now; returns the ids of the ledger rows planned anew."""
    ids = [enqueue_now(session, due, now) for due in dues]
    return [i for i in ids if i is not None]


def close_pair(
    session: Session,
    info: PairInfo,
    reason: str,
    now: datetime,
    *,
    notify: Sequence[Member] | None = None,
    batched: bool = False,
) -> list[int] | None:
    """End a pair (conditional on it still being active) and queue a kind closing message
    with a reflection prompt for each person told. None if it had already ended."""
    status = PAIR_COMPLETED if reason == END_COMPLETED else PAIR_ENDED_EARLY
    result = session.execute(
        update(Pair)
        .where(Pair.id == info.pair_id, Pair.status == PAIR_ACTIVE)
        .values(status=status, ended_at=now, end_reason=reason)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.execute(
        update(Relationship)
        .where(Relationship.pair_id == info.pair_id)
        .values(
            closed_at=now,
            agreement_nudge_at=None,
            next_meeting_nudge_at=None,
            next_checkin_at=None,
            ends_at=None,
        )
    )
    told = notify if notify is not None else info.members
    dues = [
        Due(
            team_id=info.team_id,
            recipient_id=m.person_id,
            kind="closure",
            subject=info.subject,
            due_at=now,
            batched=batched,
            payload={
                "pair": info.pair_id,
                "reason": reason,
                "rematch": m.role == "mentee" and reason != END_COMPLETED,
            },
        )
        for m in told
        if not m.unreachable
    ]
    if batched:
        enqueue(session, dues, now)
        return []
    return _enqueue(session, dues, now)


def request_rematch(session: Session, info: PairInfo, member: Member, now: datetime) -> bool:
    """The mentee of an ended pair asks for a new mentor. True the first time."""
    if member.role != "mentee":
        raise RelationshipError("only_mentee_rematch")
    if info.status == PAIR_ACTIVE:
        raise RelationshipError("pair_still_active")
    return (
        insert_if_new(
            session,
            RematchRequest,
            ("pair_id",),
            team_id=info.team_id,
            program_id=info.program_id,
            pair_id=info.pair_id,
            mentee_id=member.participation_id,
            status="open",
            created_at=now,
        )
        is not None
    )


def open_rematch_requests(session: Session, program_id: int) -> list[RematchRequest]:
    """For matching: mentees who asked for a new mentor after their pair ended."""
    return list(
        session.scalars(
            select(RematchRequest)
            .where(RematchRequest.program_id == program_id, RematchRequest.status == "open")
            .order_by(RematchRequest.created_at)
        ).all()
    )


def agreement_pending_pairs(session: Session, program_id: int, now: datetime) -> list[int]:
    """For coordinators: active pairs whose agreement is still not confirmed after the nudge
    period (status only: ids, never the draft)."""
    settings = settings_for(session, program_id)
    cutoff = now - timedelta(days=settings.agreement_nudge_days)
    return list(
        session.scalars(
            select(Pair.id)
            .join(Relationship, Relationship.pair_id == Pair.id)
            .where(
                Pair.program_id == program_id,
                Pair.status == PAIR_ACTIVE,
                Pair.created_at <= cutoff,
                Relationship.active_since.is_(None),
            )
            .order_by(Pair.id)
        ).all()
    )


def person_in_program(
    session: Session, team_id: str, user_id: str, program: Program
) -> tuple[Person, Participation]:
    person = find_person(session, team_id, user_id)
    participation = find_participation(session, person, program) if person else None
    if person is None or participation is None or participation.status == STATUS_LEFT:
        raise RelationshipError("not_in_program")
    return person, participation


def local_today(now: datetime, tz: str | None, fallback: str = "UTC") -> date:
    return now.astimezone(zone(tz, fallback)).date()


def ends_on(relationship: Relationship | None, timezone: str | None) -> date | None:
    """The local day the relationship's term ends, if it has one."""
    if relationship is None or relationship.ends_at is None:
        return None
    return local_today(relationship.ends_at, timezone)
