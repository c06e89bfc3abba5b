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

from sqlalchemy import Table, and_, bindparam, or_, select, text
from sqlalchemy.orm import Session, aliased

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.matchmaking.models import PAIR_ACTIVE, Pair
from core.messaging.ledger import Due, default_hours, enqueue, insert_rows
from core.messaging.models import DELIVERY_PENDING
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
    """`batch`: pairs per transaction for the steps that work pair by pair (closing,
    creating schedules); `timer_batch`: pairs per transaction for the timer steps, which are a
    few set-based statements whatever their size."""

    def __init__(
        self, db: Database, clock: Clock, *, batch: int = 1000, timer_batch: int = 5000
    ) -> None:
        self.db = db
        self.clock = clock
        self.batch = batch
        self.timer_batch = timer_batch

    def plan(self, *, max_rounds: int = 1000) -> PlanStats:
        stats = PlanStats()
        for name, step, size in (
            ("relationship", self._ensure_relationships, self.batch),
            ("left", self._close_left, self.batch),
            ("pause_ended", self._expire_pauses, self.batch),
            ("agreement_nudge", self._agreement_nudges, self.timer_batch),
            ("meeting_nudge", self._meeting_nudges, self.timer_batch),
            ("checkin", self._checkins, self.timer_batch),
            ("term_end", self._term_ends, self.timer_batch),
        ):
            for _ in range(max_rounds):
                with self.db.transaction() as session:
                    seen, planned = step(session, self.clock.now())
                stats.add(name, planned)
                if seen < size:
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
            .limit(self.timer_batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Relationship, skip_locked=True)
        # Executed as Core on the session's connection: thousands of plain rows a round, and
        # the ORM's row loading cost more than the query.
        return list(session.connection().execute(query).all())

    def _dues(
        self,
        session: Session,
        rows: list[Any],
        now: datetime,
        kind: str,
        period: Callable[[Any], str],
        payload: Callable[[Any], dict[str, Any]],
    ) -> int:
        """Insert one batched ledger row per reachable person of each pair (what is already
        planned is left alone); returns how many were new. Rows are built as plain dicts for
        one bulk INSERT, with no object per message."""
        hours: dict[str, WorkingHours] = {}
        # The calendar is asked once per workspace, time zone and moment, not once a person.
        starts: dict[tuple[str, str | None, datetime], datetime] = {}
        out = []
        for row in rows:
            if row.team_id not in hours:
                hours[row.team_id] = default_hours(session, row.team_id)
            wh = hours[row.team_id]
            since = max(row.timer, now)
            common = {
                "team_id": row.team_id,
                "kind": kind,
                "subject": f"pair:{row.pair_id}",
                "period": period(row),
                "batched": True,
                "status": DELIVERY_PENDING,
                "payload": {"pair": row.pair_id, **payload(row)},
                "due_at": row.timer,
                "attempts": 0,
                "created_at": now,
            }
            for person, tz, gone in (
                (row.mentee, row.mentee_tz, row.mentee_gone),
                (row.mentor, row.mentor_tz, row.mentor_gone),
            ):
                if gone:
                    continue
                key = (row.team_id, tz, since)
                if key not in starts:
                    starts[key] = wh.next_start(since, tz)
                out.append({**common, "recipient_id": person, "not_before": starts[key]})
        return len(insert_rows(session, out))

    @staticmethod
    def _move(session: Session, column: str, moves: list[dict[str, Any]], **also: Any) -> None:
        """Conditional timer updates: only where the timer still holds the value we read."""
        if not moves:
            return
        if session.get_bind().dialect.name == "postgresql" and not also:
            # One statement for the whole batch: the (id, old, new) triples as arrays.
            session.execute(
                text(
                    f"UPDATE relationships SET {column} = m.new"
                    " FROM unnest(CAST(:ids AS integer[]), CAST(:old AS timestamptz[]),"
                    " CAST(:new AS timestamptz[])) AS m(id, old, new)"
                    f" WHERE relationships.id = m.id AND relationships.{column} = m.old"
                ),
                {
                    "ids": [m["b_id"] for m in moves],
                    "old": [m["b_old"] for m in moves],
                    "new": [m["b_new"] for m in moves],
                },
            )
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
        # From the few participations that left (a partial index) to their pairs, each side
        # on its own index: no join over every pair.
        left = select(Participation.id).where(Participation.status == STATUS_LEFT)
        pair_ids = session.scalars(
            select(Pair.id)
            .where(Pair.status == PAIR_ACTIVE, Pair.mentee_id.in_(left))
            .union(select(Pair.id).where(Pair.status == PAIR_ACTIVE, Pair.mentor_id.in_(left)))
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
        planned = self._dues(session, rows, now, "agreement_nudge", lambda r: "once", lambda r: {})
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
        planned = self._dues(
            session,
            rows,
            now,
            "meeting_nudge",
            lambda r: r.timer.isoformat(timespec="minutes"),
            lambda r: {"epoch": r.meeting_epoch},
        )
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
        planned = self._dues(
            session,
            rows,
            now,
            "checkin",
            lambda r: str(r.checkin_seq + 1),
            lambda r: {"seq": r.checkin_seq + 1},
        )
        self._move(session, "next_checkin_at", moves, checkin_seq=bindparam("b_seq"))
        return len(rows), planned

    def _term_ends(self, session: Session, now: datetime) -> tuple[int, int]:
        rows = self._due_pairs(
            session, Relationship.ends_at, now, Relationship.term_asked_at.is_(None)
        )
        planned = self._dues(
            session,
            rows,
            now,
            "term_end",
            lambda r: r.timer.date().isoformat(),
            lambda r: {"ends": r.timer.date().isoformat()},
        )
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
