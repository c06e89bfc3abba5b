"""Claiming due deliveries: one claim, step by step, in one transaction.

`Ledger.claim` (core/messaging/ledger.py) runs a `Claim`: lock the due rows (`FOR UPDATE SKIP
LOCKED` on PostgreSQL), sort them per person into immediate rows, postponed rows and today's
digest, write the lease and the plan, and build the `Message`s from what is in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from core.kernel.worktime import WorkingHours
from core.messaging.bulk_sql import among, insert_rows, is_postgres, set_many
from core.messaging.models import (
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DIGEST,
    IN_WORKING_HOURS,
    Delivery,
)
from core.people.models import Participation, Person
from core.programs.lifecycle import inactive_team_ids


@dataclass
class Item:
    id: int
    kind: str
    subject: str
    period: str
    payload: dict[str, Any]
    due_at: datetime


@dataclass
class Message:
    """A claimed message: a digest with its items, or one immediate row (no items)."""

    id: int
    team_id: str
    recipient_id: int
    user_id: str
    timezone: str | None
    kind: str
    subject: str
    period: str
    payload: dict[str, Any]
    attempts: int
    items: list[Item] = field(default_factory=list)
    resend: bool = False  # a previous attempt may have reached Slack (its process died)

    @property
    def is_digest(self) -> bool:
        return self.kind == DIGEST


@dataclass
class ClaimStats:
    messages: int = 0
    items: int = 0
    postponed: int = 0
    failed_unreachable: int = 0


_deliveries: Table = Delivery.__table__  # type: ignore[assignment]
_people: Table = Person.__table__  # type: ignore[assignment]


def _due_query(now: datetime) -> Any:
    """Due rows with their recipient (Core, not the ORM: a claim reads thousands of rows, and
    the ORM's row loading cost more than the query); `person` is NULL for a recipient gone."""
    d, p = _deliveries.c, _people.c
    lease_free = or_(d.claimed_until.is_(None), d.claimed_until < now)
    return (
        select(
            d.id,
            d.recipient_id,
            d.team_id,
            d.kind,
            d.batched,
            d.subject,
            d.period,
            d.payload,
            d.due_at,
            d.attempts,
            d.sending_since,
            p.id.label("person"),
            p.slack_user_id,
            p.timezone,
            p.unreachable,
        )
        .select_from(_deliveries.outerjoin(_people, p.id == d.recipient_id))
        .where(
            d.status == DELIVERY_PENDING,
            d.message_id.is_(None),
            d.not_before <= now,
            lease_free,
        )
    )


def _is_scheduled(row: Any) -> bool:
    """A row that waits for working hours: a batched item, or a digest."""
    return bool(row.batched or row.kind == DIGEST)


class Claim:
    """One claim, step by step, in one transaction (see `Ledger.claim`): lock the due rows,
    sort them per person into immediate rows, postponed rows and today's digest, write the
    lease and the plan, and build the messages from what is in memory."""

    def __init__(
        self,
        session: Session,
        now: datetime,
        stats: ClaimStats,
        *,
        worker: str,
        lease: timedelta,
        hours_for: Callable[[Session, str], WorkingHours],
    ) -> None:
        self.session = session
        self.now = now
        self.stats = stats
        self.worker = worker
        self.lease_until = now + lease
        self.pg = is_postgres(session)
        self._hours_for = hours_for
        self._hours: dict[str, WorkingHours] = {}
        self._calendars: dict[tuple[int, str | None], tuple[datetime | None, str]] = {}
        self.rows: list[Any] = []
        self.people: dict[int, Any] = {}
        self.paused: dict[int, datetime] = {}
        self.claim_ids: list[int] = []  # immediate rows and digests taken over
        self.postpone: dict[int, datetime] = {}
        self.failed: list[int] = []
        # recipient -> (local day, item ids, team)
        self.want_digest: dict[int, tuple[str, list[int], str]] = {}
        self.dissolve: list[int] = []  # digests of a past day: their items are batched afresh
        self.carried: dict[int, int] = {}  # recipient -> attempts of a dissolved digest
        self.reloaded: set[int] = set()  # recipients whose items are not all in `rows`
        self.takeover: dict[int, int] = {}  # recipient -> existing digest id (released earlier)
        self.digest_of: dict[int, int] = {}  # recipient -> digest id
        self.attached: set[int] = set()  # recipients whose items the digest's insert attached

    def run(self, limit: int, ids: Sequence[int] | None) -> list[Message]:
        if ids is not None and not ids:
            return []
        self.rows = self._select_due(limit, ids)
        if not self.rows:
            return []
        if ids is None:
            self._add_siblings()
        if not self._hold_stopped_teams():
            return []
        self._load_people()
        for person_id, group in self._by_person().items():
            self._plan_person(person_id, group)
        if self.dissolve:
            self._dissolve_past_digests()
        self._create_digests()
        self._join_existing_digests()
        self._write_plan()
        row_of = {r.id: r for r in self.rows}
        return self._messages(self._collect_items(row_of), row_of)

    def hours(self, team_id: str) -> WorkingHours:
        if team_id not in self._hours:
            self._hours[team_id] = self._hours_for(self.session, team_id)
        return self._hours[team_id]

    def _locked(self, query: Any) -> Any:
        """Rows another claim holds are skipped (PostgreSQL; on SQLite claims are serial)."""
        return query.with_for_update(skip_locked=True) if self.pg else query

    def _locked_due(self, query: Any) -> list[Any]:
        """The due rows of `query`, locked (the ledger's rows only, not their recipients)."""
        if self.pg:
            query = query.with_for_update(of=_deliveries, skip_locked=True)
        return list(self.session.connection().execute(query).all())

    # --- finding what is due -------------------------------------------------------------------
    def _select_due(self, limit: int, ids: Sequence[int] | None) -> list[Any]:
        d = _deliveries.c
        query = _due_query(self.now)
        if ids is not None:
            query = query.where(d.id.in_(list(ids)))
        return self._locked_due(query.order_by(d.not_before, d.id).limit(limit))

    def _add_siblings(self) -> None:
        """Everything else due for the same people goes into the same message."""
        scheduled_people = {r.recipient_id for r in self.rows if _is_scheduled(r)}
        if not scheduled_people:
            return
        seen = {r.id for r in self.rows}
        d = _deliveries.c
        siblings = _due_query(self.now).where(
            among(self.session, d.recipient_id, scheduled_people),
            d.batched.is_(True),
            ~among(self.session, d.id, seen),  # not read (nor decoded) twice
        )
        self.rows += [r for r in self._locked_due(siblings) if r.id not in seen]

    def _hold_stopped_teams(self) -> bool:
        """An uninstalled workspace gets nothing (its data is purged after retention).
        Returns whether any row is left to claim."""
        stopped = inactive_team_ids(self.session)
        if not stopped:
            return True
        later = self.now + timedelta(hours=1)
        held = [r.id for r in self.rows if r.team_id in stopped]
        self.session.execute(update(Delivery).where(Delivery.id.in_(held)).values(not_before=later))
        self.rows = [r for r in self.rows if r.team_id not in stopped]
        return bool(self.rows)

    def _load_people(self) -> None:
        """The recipients (read with their rows), and the latest pause of those who are
        paused now."""
        session = self.session
        self.people = {r.recipient_id: r for r in self.rows if r.person is not None}
        self.paused = dict(
            session.execute(  # type: ignore[arg-type]
                select(Participation.person_id, func.max(Participation.paused_until))
                .where(
                    among(session, Participation.person_id, self.people),
                    Participation.paused_until > self.now,
                )
                .group_by(Participation.person_id)
            ).all()
        )

    def _by_person(self) -> dict[int, list[Any]]:
        by_person: dict[int, list[Any]] = defaultdict(list)
        for r in self.rows:
            by_person[r.recipient_id].append(r)
        return by_person

    # --- planning, per person ------------------------------------------------------------------
    def _plan_person(self, person_id: int, group: list[Any]) -> None:
        person = self.people.get(person_id)
        if person is None or person.unreachable:
            self.failed += [r.id for r in group]
            return
        tz = person.timezone
        scheduled = [r for r in group if r.batched or r.kind == DIGEST]
        if len(scheduled) < len(group):  # the common case (only scheduled items) skips this
            self._plan_immediate(person_id, tz, [r for r in group if not _is_scheduled(r)])
            if not scheduled:
                return
        team_id = scheduled[0].team_id
        wh = self.hours(team_id)
        outside, today = self._calendar(wh, tz)
        when = self._not_now(person_id, wh, tz) if person_id in self.paused else outside
        if when is not None:
            self.postpone.update({r.id: when for r in scheduled})
            return
        self._plan_digest(person_id, scheduled, today, team_id)

    def _plan_immediate(self, person_id: int, tz: str | None, rows: list[Any]) -> None:
        """Rows sent on their own: at once, except kinds that wait for the person's working
        hours and the end of their pause (announcements, invitations)."""
        timed = [r for r in rows if r.kind in IN_WORKING_HOURS]
        when = self._not_now(person_id, self.hours(timed[0].team_id), tz) if timed else None
        if when is not None:
            self.postpone.update({r.id: when for r in timed})
            rows = [r for r in rows if r.kind not in IN_WORKING_HOURS]
        self.claim_ids += [r.id for r in rows]

    def _not_now(self, person_id: int, wh: WorkingHours, tz: str | None) -> datetime | None:
        """When scheduled messages may reach a paused person or one outside working hours;
        None when they may be sent now."""
        if person_id in self.paused:
            resume_at = self.paused[person_id]
            return wh.next_start(max(resume_at, self.now + timedelta(hours=1)), tz)
        return self._calendar(wh, tz)[0]

    def _calendar(self, wh: WorkingHours, tz: str | None) -> tuple[datetime | None, str]:
        """(the next working moment if now is outside working hours, else None; today's
        local date), asked of the calendar once per working hours and time zone, not once a
        person."""
        key = (id(wh), tz)
        found = self._calendars.get(key)
        if found is None:
            outside = None if wh.contains(self.now, tz) else wh.next_start(self.now, tz)
            found = (outside, wh.local_day(self.now, tz).isoformat())
            self._calendars[key] = found
        return found

    def _plan_digest(self, person_id: int, scheduled: list[Any], today: str, team_id: str) -> None:
        """Today's digest takes the items: an existing one for today is taken over, digests of
        a past day are dissolved."""
        item_ids = [r.id for r in scheduled if r.kind != DIGEST]
        if len(item_ids) < len(scheduled):
            for r in scheduled:
                if r.kind == DIGEST and r.period == today:
                    self.takeover[person_id] = r.id
                elif r.kind == DIGEST:
                    self.dissolve.append(r.id)
        self.want_digest[person_id] = (today, item_ids, team_id)

    # --- digests -------------------------------------------------------------------------------
    def _dissolve_past_digests(self) -> None:
        session = self.session
        attached = session.scalars(
            select(Delivery.id).where(
                Delivery.message_id.in_(self.dissolve), Delivery.status == DELIVERY_PENDING
            )
        ).all()
        owner: dict[int, int] = {}
        for mid, rid, tries in session.execute(
            select(Delivery.id, Delivery.recipient_id, Delivery.attempts).where(
                Delivery.id.in_(self.dissolve)
            )
        ).all():
            owner[mid] = rid
            # The new digest inherits the attempts: retries stay capped across days.
            self.carried[rid] = max(self.carried.get(rid, 0), tries)
        for item_id, message_id in session.execute(
            select(Delivery.id, Delivery.message_id).where(Delivery.id.in_(attached))
        ).all():
            if message_id is not None:
                self.want_digest[owner[message_id]][1].append(item_id)
                self.reloaded.add(owner[message_id])
        session.execute(update(Delivery).where(Delivery.id.in_(attached)).values(message_id=None))
        session.execute(delete(Delivery).where(Delivery.id.in_(self.dissolve)))

    def _create_digests(self) -> None:
        """New digests, already leased, for people who have none today. A digest another
        claim made meanwhile is not inserted (the key conflicts)."""
        new = [p for p in self.want_digest if p not in self.takeover]
        new_rows = [
            self._digest_row(p, self.want_digest[p][0], self.want_digest[p][2]) for p in new
        ]
        # On PostgreSQL the same statement attaches the items to the new digests.
        attach = (
            {item_id: p for p in new for item_id in self.want_digest[p][1]} if self.pg else None
        )
        self.digest_of = dict(self.takeover)
        inserted = insert_rows(self.session, new_rows, attach)
        self.digest_of.update({rid: mid for mid, rid in inserted})
        if attach is not None:
            self.attached = {rid for _mid, rid in inserted}

    def _digest_row(self, person_id: int, day: str, team_id: str) -> dict[str, Any]:
        return {
            "team_id": team_id,
            "recipient_id": person_id,
            "kind": DIGEST,
            "subject": "",
            "period": day,
            "batched": False,
            "status": DELIVERY_PENDING,
            "payload": {},
            "due_at": self.now,
            "not_before": self.now,
            "attempts": self.carried.get(person_id, 0),
            "created_at": self.now,
            "claimed_by": self.worker,
            "claimed_until": self.lease_until,
        }

    def _join_existing_digests(self) -> None:
        """People whose digest of today already existed (it conflicted on insert)."""
        conflicts = [p for p in self.want_digest if p not in self.digest_of]
        if not conflicts:
            return
        keys = [(p, self.want_digest[p][0]) for p in conflicts]
        existing_q = select(
            Delivery.id,
            Delivery.recipient_id,
            Delivery.status,
            Delivery.claimed_until,
            Delivery.not_before,
        ).where(Delivery.kind == DIGEST, tuple_(Delivery.recipient_id, Delivery.period).in_(keys))
        found = {r.recipient_id: r for r in self.session.execute(self._locked(existing_q)).all()}
        for person_id in conflicts:
            existing = found.get(person_id)
            if existing is not None:  # None: locked by a concurrent claim, next sweep tries again
                self._join_existing_digest(person_id, existing)

    def _join_existing_digest(self, person_id: int, existing: Any) -> None:
        day, waiting, team_id = self.want_digest[person_id]
        if existing.status != DELIVERY_PENDING:
            # Today's message has gone out: the rest waits for the next working day.
            tz = self.people[person_id].timezone
            when = self.hours(team_id).next_day_start(self.now, tz)
            self.postpone.update({i: when for i in waiting})
            return
        if existing.claimed_until is not None and existing.claimed_until >= self.now:
            return  # another worker is sending today's message right now
        # Pending but not due yet (waiting out a rate limit): ride along with it.
        self.session.execute(
            update(Delivery).where(Delivery.id.in_(waiting)).values(message_id=existing.id)
        )
        self.stats.items += len(waiting)
        self.want_digest[person_id] = (day, [], team_id)

    # --- writing the plan ----------------------------------------------------------------------
    def _write_plan(self) -> None:
        """Lease what is claimed, attach items to their digests, postpone and fail the rest."""
        session = self.session
        self.claim_ids += list(self.takeover.values())
        if self.claim_ids:
            session.execute(
                update(Delivery)
                .where(among(session, Delivery.id, self.claim_ids))
                .values(claimed_by=self.worker, claimed_until=self.lease_until)
            )
        set_many(
            session,
            "message_id",
            "integer",
            {
                item_id: self.digest_of[p]
                for p, (_day, waiting, _team) in self.want_digest.items()
                if p in self.digest_of and p not in self.attached
                for item_id in waiting
            },
        )
        set_many(session, "not_before", "timestamptz", self.postpone)
        self.stats.postponed = len(self.postpone)
        if self.failed:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(self.failed))
                .values(status=DELIVERY_FAILED, last_error="unreachable")
            )
            self.stats.failed_unreachable = len(self.failed)

    # --- the messages --------------------------------------------------------------------------
    def _collect_items(self, row_of: dict[int, Any]) -> dict[int, list[Item]]:
        """Each digest's items, from what is in memory; only items attached to a digest by an
        earlier claim (taken over, or dissolved from a past day) are read back."""
        items: dict[int, list[Item]] = defaultdict(list)
        reread = set(self.takeover.values()) | {
            self.digest_of[p] for p in self.reloaded if p in self.digest_of
        }
        for person_id, (_day, item_ids, _team) in self.want_digest.items():
            message_id = self.digest_of.get(person_id)
            if message_id is not None and message_id not in reread:
                items[message_id] = [_item(row_of[i]) for i in item_ids]
        if not reread:
            return items
        for row in self.session.execute(
            select(
                Delivery.id,
                Delivery.kind,
                Delivery.subject,
                Delivery.period,
                Delivery.payload,
                Delivery.due_at,
                Delivery.message_id,
            ).where(
                among(self.session, Delivery.message_id, reread),
                Delivery.status == DELIVERY_PENDING,
            )
        ).all():
            items[row.message_id].append(_item(row))
        return items

    def _messages(self, items: dict[int, list[Item]], row_of: dict[int, Any]) -> list[Message]:
        owner_of = {m: p for p, m in self.digest_of.items()}
        out: list[Message] = []
        for message_id in sorted(set(self.claim_ids) | set(self.digest_of.values())):
            head = row_of.get(message_id)
            if head is None:  # a digest this claim made
                message = self._new_digest(message_id, owner_of[message_id])
            else:
                message = self._message_from(head)
            message.items = sorted(items.get(message_id, []), key=lambda i: (i.due_at, i.id))
            self.stats.items += len(message.items)
            out.append(message)
        self.stats.messages = len(out)
        return out

    def _new_digest(self, message_id: int, person_id: int) -> Message:
        person = self.people[person_id]
        day, _ids, team_id = self.want_digest[person_id]
        return Message(
            id=message_id,
            team_id=team_id,
            recipient_id=person_id,
            user_id=person.slack_user_id,
            timezone=person.timezone,
            kind=DIGEST,
            subject="",
            period=day,
            payload={},
            attempts=self.carried.get(person_id, 0),
        )

    def _message_from(self, head: Any) -> Message:
        person = self.people[head.recipient_id]
        return Message(
            id=head.id,
            team_id=head.team_id,
            recipient_id=head.recipient_id,
            user_id=person.slack_user_id,
            timezone=person.timezone,
            kind=head.kind,
            subject=head.subject,
            period=head.period,
            payload=dict(head.payload),
            attempts=head.attempts,
            resend=head.sending_since is not None,
        )


def _item(row: Any) -> Item:
    return Item(row.id, row.kind, row.subject, row.period, dict(row.payload), row.due_at)
