"""The sweep's first half: decide from database state what has become due, and put it in the
delivery ledger (each message once, whatever runs it concurrently or again).

Each kind of message has a timer column on `relationships`; a round selects pairs whose timer
has passed (locking them with SKIP LOCKED on PostgreSQL so concurrent sweeps share the work),
inserts ledger rows with ON CONFLICT DO NOTHING, and moves the timer on with a conditional
update. After downtime a timer that passed long ago yields one message, not one per missed
period: the next timer is counted from now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.messaging.ledger import Due, default_hours, enqueue
from core.people.models import STATUS_LEFT, Participation, Person
from core.relationships.models import Relationship
from core.relationships.pauses import expire as expire_pauses
from core.relationships.service import (
    END_LEFT,
    close_pair,
    ensure_relationship,
    invite_dues,
    pair_infos,
)

logger = logging.getLogger(__name__)

_rel: Table = Relationship.__table__  # type: ignore[assignment]


@dataclass
class PlanStats:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Planner:
    def __init__(self, db: Database, clock: Clock, *, batch: int = 1000) -> None:
        self.db = db
        self.clock = clock
        self.batch = batch

    def plan(self, *, max_rounds: int = 1000) -> PlanStats:
        stats = PlanStats()
        for name, step in (
            ("relationship", self._ensure_relationships),
            ("left", self._close_left),
            ("pause_ended", self._expire_pauses),
            ("agreement_nudge", self._agreement_nudges),
            ("meeting_nudge", self._meeting_nudges),
            ("checkin", self._checkins),
            ("term_end", self._term_ends),
        ):
            for _ in range(max_rounds):
                with self.db.transaction() as session:
                    seen, planned = step(session, self.clock.now())
                stats.add(name, planned)
                if seen < self.batch:
                    break
        return stats

    # --- shared -------------------------------------------------------------------------------
    def _due_pairs(
        self,
        session: Session,
        timer: Any,
        now: datetime,
        *extra: Any,
        columns: tuple[Any, ...] = (),
    ) -> list[Any]:
        """Active pairs whose `timer` has passed and in which nobody is paused, with both
        people's id, time zone and reachability; locked for this sweep on PostgreSQL."""
        mentee_p, mentor_p = aliased(Participation), aliased(Participation)
        mentee, mentor = aliased(Person), aliased(Person)

        def unpaused(p: Any) -> Any:
            return or_(p.paused_until.is_(None), p.paused_until <= now)

        query = (
            select(
                Relationship.id,
                Relationship.team_id,
                Relationship.pair_id,
                timer.label("timer"),
                mentee.id.label("mentee"),
                mentee.timezone.label("mentee_tz"),
                mentee.unreachable.label("mentee_gone"),
                mentor.id.label("mentor"),
                mentor.timezone.label("mentor_tz"),
                mentor.unreachable.label("mentor_gone"),
                *columns,
            )
            .join(Pair, Pair.id == Relationship.pair_id)
            .join(mentee_p, mentee_p.id == Pair.mentee_id)
            .join(mentor_p, mentor_p.id == Pair.mentor_id)
            .join(mentee, mentee.id == mentee_p.person_id)
            .join(mentor, mentor.id == mentor_p.person_id)
            .where(
                timer <= now,
                Pair.status == PAIR_ACTIVE,
                unpaused(mentee_p),
                unpaused(mentor_p),
                *extra,
            )
            .order_by(timer)
            .limit(self.batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Relationship, skip_locked=True)
        return list(session.execute(query).all())

    def _dues(
        self,
        session: Session,
        rows: list[Any],
        now: datetime,
        kind: str,
        period: Callable[[Any], str],
        payload: Callable[[Any], dict[str, Any]],
    ) -> list[Due]:
        hours: dict[str, WorkingHours] = {}
        out = []
        for row in rows:
            if row.team_id not in hours:
                hours[row.team_id] = default_hours(session, row.team_id)
            wh = hours[row.team_id]
            for person, tz, gone in (
                (row.mentee, row.mentee_tz, row.mentee_gone),
                (row.mentor, row.mentor_tz, row.mentor_gone),
            ):
                if gone:
                    continue
                out.append(
                    Due(
                        team_id=row.team_id,
                        recipient_id=person,
                        kind=kind,
                        subject=f"pair:{row.pair_id}",
                        period=period(row),
                        due_at=row.timer,
                        not_before=wh.next_start(max(row.timer, now), tz),
                        payload={"pair": row.pair_id, **payload(row)},
                    )
                )
        return out

    @staticmethod
    def _move(session: Session, column: str, moves: list[dict[str, Any]], **also: Any) -> None:
        """Conditional timer updates: only where the timer still holds the value we read."""
        if not moves:
            return
        col = _rel.c[column]
        values: dict[str, Any] = {column: bindparam("b_new")}
        values.update(also)
        session.connection().execute(
            _rel.update()
            .where(_rel.c.id == bindparam("b_id"), col == bindparam("b_old"))
            .values(**values),
            moves,
        )

    # --- steps -------------------------------------------------------------------------------
    def _ensure_relationships(self, session: Session, now: datetime) -> tuple[int, int]:
        """Pairs created without the `pair_created` hook get their schedule and invitations
        here (sent within working hours)."""
        pair_ids = session.scalars(
            select(Pair.id)
            .outerjoin(Relationship, Relationship.pair_id == Pair.id)
            .where(Relationship.id.is_(None), Pair.status == PAIR_ACTIVE)
            .order_by(Pair.id)
            .limit(self.batch)
        ).all()
        infos = pair_infos(session, pair_ids)
        planned = 0
        dues: list[Due] = []
        for info in infos.values():
            _, created = ensure_relationship(session, info, now)
            if created:
                dues += invite_dues(info, now, batched=True)
        planned = enqueue(session, dues, now)
        return len(pair_ids), planned

    def _close_left(self, session: Session, now: datetime) -> tuple[int, int]:
        """A pair where someone left the program is closed; the other person is told."""
        mentee_p, mentor_p = aliased(Participation), aliased(Participation)
        pair_ids = session.scalars(
            select(Pair.id)
            .join(mentee_p, mentee_p.id == Pair.mentee_id)
            .join(mentor_p, mentor_p.id == Pair.mentor_id)
            .where(
                Pair.status == PAIR_ACTIVE,
                or_(mentee_p.status == STATUS_LEFT, mentor_p.status == STATUS_LEFT),
            )
            .limit(self.batch)
        ).all()
        planned = 0
        left_status = {
            p.id: p.status
            for p in session.scalars(
                select(Participation).where(
                    Participation.id.in_(
                        select(Pair.mentee_id)
                        .where(Pair.id.in_(pair_ids))
                        .union(select(Pair.mentor_id).where(Pair.id.in_(pair_ids)))
                    )
                )
            ).all()
        }
        for info in pair_infos(session, pair_ids).values():
            stay = [m for m in info.members if left_status.get(m.participation_id) != STATUS_LEFT]
            if close_pair(session, info, END_LEFT, now, notify=stay, batched=True) is not None:
                planned += len(stay)
        return len(pair_ids), planned

    def _expire_pauses(self, session: Session, now: datetime) -> tuple[int, int]:
        ended = expire_pauses(session, now, limit=self.batch)
        return ended, ended

    def _agreement_nudges(self, session: Session, now: datetime) -> tuple[int, int]:
        rows = self._due_pairs(
            session,
            Relationship.agreement_nudge_at,
            now,
            Relationship.active_since.is_(None),
        )
        dues = self._dues(session, rows, now, "agreement_nudge", lambda r: "once", lambda r: {})
        planned = enqueue(session, dues, now)
        self._move(
            session,
            "agreement_nudge_at",
            [{"b_id": r.id, "b_old": r.timer, "b_new": None} for r in rows],
        )
        return len(rows), planned

    def _meeting_nudges(self, session: Session, now: datetime) -> tuple[int, int]:
        rows = self._due_pairs(
            session,
            Relationship.next_meeting_nudge_at,
            now,
            columns=(Relationship.meeting_epoch, Relationship.cadence_days),
        )
        dues = self._dues(
            session,
            rows,
            now,
            "meeting_nudge",
            lambda r: r.timer.isoformat(timespec="minutes"),
            lambda r: {"epoch": r.meeting_epoch},
        )
        planned = enqueue(session, dues, now)
        self._move(
            session,
            "next_meeting_nudge_at",
            [
                {
                    "b_id": r.id,
                    "b_old": r.timer,
                    "b_new": max(r.timer, now) + timedelta(days=r.cadence_days or 14),
                }
                for r in rows
            ],
        )
        return len(rows), planned

    def _checkins(self, session: Session, now: datetime) -> tuple[int, int]:
        rows = self._due_pairs(
            session,
            Relationship.next_checkin_at,
            now,
            columns=(Relationship.checkin_seq, Relationship.program_id),
        )
        every_days: dict[int, int] = {}
        moves = []
        for r in rows:
            if r.program_id not in every_days:
                from core.relationships.service import settings_for

                every_days[r.program_id] = settings_for(session, r.program_id).checkin_every_days
            every = timedelta(days=every_days[r.program_id])
            following = r.timer + every
            while following <= now:  # missed while down: only the latest one is still relevant
                following += every
            moves.append(
                {"b_id": r.id, "b_old": r.timer, "b_new": following, "b_seq": r.checkin_seq + 1}
            )
        dues = self._dues(
            session,
            rows,
            now,
            "checkin",
            lambda r: str(r.checkin_seq + 1),
            lambda r: {"seq": r.checkin_seq + 1},
        )
        planned = enqueue(session, dues, now)
        self._move(session, "next_checkin_at", moves, checkin_seq=bindparam("b_seq"))
        return len(rows), planned

    def _term_ends(self, session: Session, now: datetime) -> tuple[int, int]:
        rows = self._due_pairs(
            session, Relationship.ends_at, now, Relationship.term_asked_at.is_(None)
        )
        dues = self._dues(
            session,
            rows,
            now,
            "term_end",
            lambda r: r.timer.date().isoformat(),
            lambda r: {"ends": r.timer.date().isoformat()},
        )
        planned = enqueue(session, dues, now)
        if rows:
            session.connection().execute(
                _rel.update()
                .where(
                    and_(
                        _rel.c.id == bindparam("b_id"),
                        _rel.c.ends_at == bindparam("b_old"),
                        _rel.c.term_asked_at.is_(None),
                    )
                )
                .values(term_asked_at=now),
                [{"b_id": r.id, "b_old": r.timer} for r in rows],
            )
        return len(rows), planned
