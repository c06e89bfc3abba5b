"""The delivery ledger: exactly-once bookkeeping for every message the bot sends on its own.

A message goes through these steps, each in its own short transaction:

1. *enqueue*: a row keyed (recipient, kind, subject, period) is inserted with
   `INSERT ... ON CONFLICT DO NOTHING`, usually in the same transaction as the state change
   that makes it due (an outbox), so planning twice inserts nothing.
2. *claim*: due rows are locked with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (on
   SQLite the engine begins every transaction with BEGIN IMMEDIATE, so claims are serial) and
   given a lease (`claimed_by`, `claimed_until`). Scheduled items are gathered into the
   recipient's one message of the day (a `digest` row keyed by their local date); items due
   outside the recipient's working hours, or while they are paused, are moved to the next
   moment they may be sent.
3. *begin_send*: the lease is checked and `sending_since` recorded just before the Slack call.
4. *mark_sent* after Slack answered ok, or *release* (rate limited: try again at
   `not_before`), *retry_later* (exponential backoff, capped), *fail*, or *mark_unreachable*.

A process killed mid-send leaves its claimed rows leased; once `claimed_until` has passed any
process claims them again. The single row a killed process may have had in flight (Slack may
or may not have received it; `sending_since` is set) is sent again: Slack has no idempotency
key, and a nudge arriving twice is better than a confirmation never arriving.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.messaging.models import (
    DELIVERY_DROPPED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    DIGEST,
    Delivery,
)
from core.people.models import Participation, Person
from core.programs.lifecycle import inactive_team_ids
from core.programs.models import Program
from core.programs.service import program_settings

logger = logging.getLogger(__name__)

KEY_COLUMNS = ("recipient_id", "kind", "subject", "period")
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ITEMS_PER_MESSAGE = 8  # a digest stays short; anything beyond waits for the next day

_table: Table = Delivery.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Due:
    """Something to tell one person. `batched` items wait for working hours and share the
    person's one scheduled message of the day; others are sent as soon as possible."""

    team_id: str
    recipient_id: int
    kind: str
    subject: str = ""
    period: str = ""
    due_at: datetime | None = None
    not_before: datetime | None = None
    batched: bool = True
    payload: dict[str, Any] = field(default_factory=dict)


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


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Delivery)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _row(due: Due, now: datetime) -> dict[str, Any]:
    return {
        "team_id": due.team_id,
        "recipient_id": due.recipient_id,
        "kind": due.kind,
        "subject": due.subject,
        "period": due.period,
        "batched": due.batched,
        "status": DELIVERY_PENDING,
        "payload": due.payload,
        "due_at": due.due_at or now,
        "not_before": due.not_before or due.due_at or now,
        "attempts": 0,
        "created_at": now,
    }


# PostgreSQL array types of the ledger columns, for bulk inserts through unnest().
_PG_ARRAY_TYPES = {
    "team_id": "varchar[]",
    "recipient_id": "integer[]",
    "kind": "varchar[]",
    "subject": "varchar[]",
    "period": "varchar[]",
    "batched": "boolean[]",
    "status": "varchar[]",
    "payload": "json[]",
    "due_at": "timestamptz[]",
    "not_before": "timestamptz[]",
    "attempts": "integer[]",
    "created_at": "timestamptz[]",
    "claimed_by": "varchar[]",
    "claimed_until": "timestamptz[]",
}


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """INSERT ... ON CONFLICT DO NOTHING for many ledger rows; returns (id, recipient_id) of
    the rows that were new. On PostgreSQL one statement binds each column as an array and
    unnests it (a 20,000-row insert is one short query); elsewhere SQLAlchemy's batched
    executemany."""
    if not rows:
        return []
    if _is_postgres(session):
        columns = list(rows[0])
        values = {c: [json.dumps(r[c]) if c == "payload" else r[c] for r in rows] for c in columns}
        # Columns with one value for every row are bound once; the others as arrays.
        varying = [c for c in columns if any(v != values[c][0] for v in values[c])]
        params = {c: values[c] if c in varying else values[c][0] for c in columns}
        source = (
            "unnest("
            + ", ".join(f"CAST(:{c} AS {_PG_ARRAY_TYPES[c]})" for c in varying)
            + f") AS u({', '.join(varying)})"
            if varying
            else "(SELECT 1) AS u"
        )
        picked = ", ".join(
            f"u.{c}" if c in varying else f"CAST(:{c} AS {_PG_ARRAY_TYPES[c][:-2]})"
            for c in columns
        )
        statement = text(
            f"INSERT INTO deliveries ({', '.join(columns)}) SELECT {picked} FROM {source}"
            f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO NOTHING RETURNING id, recipient_id"
        )
        found: list[Any] = list(session.execute(statement, params).all())
        return [(int(r[0]), int(r[1])) for r in found]
    stmt = (
        _insert(session)
        .on_conflict_do_nothing(index_elements=KEY_COLUMNS)
        .returning(Delivery.id, Delivery.recipient_id)
    )
    inserted: list[Any] = list(session.connection().execute(stmt, rows).all())
    return [(int(r[0]), int(r[1])) for r in inserted]


def _set_many(session: Session, column: str, pg_type: str, values: dict[int, Any]) -> None:
    """UPDATE deliveries SET <column> = value WHERE id = key, for many rows at once."""
    if not values:
        return
    if _is_postgres(session):
        session.execute(
            text(
                f"UPDATE deliveries SET {column} = v.value"
                f" FROM unnest(CAST(:ids AS integer[]), CAST(:values AS {pg_type}[]))"
                " AS v(id, value) WHERE deliveries.id = v.id"
            ),
            {"ids": list(values), "values": list(values.values())},
        )
        return
    session.connection().execute(
        _table.update().where(_table.c.id == bindparam("b_id")).values({column: bindparam("b_v")}),
        [{"b_id": k, "b_v": v} for k, v in values.items()],
    )


def _among(session: Session, column: Any, ids: Iterable[int]) -> Any:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one bound parameter, however many."""
    values = sorted(set(ids))
    if _is_postgres(session):
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    return column.in_(values)


def enqueue(session: Session, items: Iterable[Due], now: datetime) -> int:
    """Insert what is not in the ledger yet; returns how many rows were new."""
    return len(insert_rows(session, [_row(d, now) for d in items]))


def enqueue_now(session: Session, due: Due, now: datetime) -> int | None:
    """Insert one row to send right away. Returns its id if it still needs sending (new, or
    pending from an earlier attempt), None if it was already handled."""
    stmt = (
        _insert(session)
        .values(_row(due, now))
        .on_conflict_do_nothing(index_elements=KEY_COLUMNS)
        .returning(Delivery.id)
    )
    new_id = session.execute(stmt).scalar()
    if new_id is not None:
        return int(new_id)
    return session.scalar(
        select(Delivery.id).where(
            Delivery.recipient_id == due.recipient_id,
            Delivery.kind == due.kind,
            Delivery.subject == due.subject,
            Delivery.period == due.period,
            Delivery.status == DELIVERY_PENDING,
        )
    )


@dataclass
class ClaimStats:
    messages: int = 0
    items: int = 0
    postponed: int = 0
    failed_unreachable: int = 0


class Ledger:
    """Claims and settles deliveries for one worker (a process, or a thread of one)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        worker: str,
        lease: timedelta = timedelta(minutes=2),
        hours_for: Callable[[Session, str], WorkingHours] | None = None,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self.db = db
        self.clock = clock
        self.worker = worker[:64]
        self.lease = lease
        self._hours_for = hours_for or default_hours
        self.last_claim = ClaimStats()
        self._local = threading.local()

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Run this thread's ledger transactions on one connection until the block ends
        (a chunk of sends costs one pool checkout, not three per message)."""
        with self.db.engine.connect() as connection:
            self._local.connection = connection
            try:
                yield
            finally:
                self._local.connection = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            with self.db.transaction() as session:
                yield session
            return
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session

    # --- claiming ----------------------------------------------------------------------------
    def claim(self, limit: int = 200, ids: Sequence[int] | None = None) -> list[Message]:
        """Claim up to `limit` due rows (or exactly the rows `ids`, when they are due)."""
        with self.transaction() as session:
            return self._claim(session, limit, ids)

    def _claim(self, session: Session, limit: int, ids: Sequence[int] | None) -> list[Message]:
        now = self.clock.now()
        stats = ClaimStats()
        self.last_claim = stats
        run = _Claim(
            session, now, stats, worker=self.worker, lease=self.lease, hours_for=self._hours_for
        )
        return run.run(limit, ids)

    # --- settling ------------------------------------------------------------------------------
    def _mine(self, message_id: int) -> Any:
        return and_(
            Delivery.id == message_id,
            Delivery.claimed_by == self.worker,
            Delivery.status == DELIVERY_PENDING,
        )

    def begin_send(self, session: Session, message: Message) -> bool:
        """Record that the Slack call is about to happen. False if the lease was lost (another
        worker may have taken the row over): then do not send."""
        now = self.clock.now()
        # Enough of the lease must be left for the call to finish well before anyone else
        # may claim the row again.
        margin = min(self.lease / 4, timedelta(seconds=30))
        result = session.execute(
            update(Delivery)
            .where(self._mine(message.id), Delivery.claimed_until > now + margin)
            .values(sending_since=now, attempts=Delivery.attempts + 1)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            message.attempts += 1
            return True
        return False

    def mark_sent(self, message: Message, channel: str | None, ts: str | None) -> bool:
        """Slack answered ok: the message and its items are sent (one statement)."""
        now = self.clock.now()
        item_ids = [i.id for i in message.items]
        with self.transaction() as session:
            done = (
                session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_([message.id, *item_ids]),
                        Delivery.status == DELIVERY_PENDING,
                        or_(Delivery.id != message.id, Delivery.claimed_by == self.worker),
                    )
                    .values(
                        status=DELIVERY_SENT,
                        sent_at=now,
                        slack_channel=channel,
                        slack_ts=ts,
                        claimed_until=None,
                        sending_since=None,
                        last_error=None,
                    )
                    .returning(Delivery.id)
                )
                .scalars()
                .all()
            )
        if message.id not in done:
            logger.warning("delivery %s was sent after its lease was lost", message.id)
            return False
        return True

    def drop_items(self, session: Session, message: Message, item_ids: Sequence[int]) -> None:
        """Items no longer relevant: nothing is sent for them."""
        if not item_ids:
            return
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(item_ids)), Delivery.status == DELIVERY_PENDING)
            .values(status=DELIVERY_DROPPED, message_id=None)
        )
        message.items = [i for i in message.items if i.id not in set(item_ids)]

    def discard(self, session: Session, message: Message) -> None:
        """Nothing left to say in this message: an empty digest is removed (so the day stays
        free for something else), an immediate row is dropped."""
        if message.is_digest:
            session.execute(
                update(Delivery)
                .where(Delivery.message_id == message.id)
                .values(message_id=None, status=DELIVERY_DROPPED)
            )
            session.execute(delete(Delivery).where(self._mine(message.id)))
        else:
            session.execute(
                update(Delivery)
                .where(self._mine(message.id))
                .values(status=DELIVERY_DROPPED, claimed_until=None)
            )

    def release(self, message: Message, not_before: datetime, error: str | None = None) -> None:
        """Give the row back, to be tried again from `not_before` (rate limits, a lost lease)."""
        with self.transaction() as session:
            session.execute(
                update(Delivery)
                .where(self._mine(message.id))
                .values(
                    claimed_by=None,
                    claimed_until=None,
                    sending_since=None,
                    not_before=not_before,
                    last_error=error,
                )
            )

    def release_all(self, messages: Iterable[Message], not_before: datetime) -> None:
        ids = [m.id for m in messages]
        if not ids:
            return
        with self.transaction() as session:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.claimed_by == self.worker,
                    Delivery.status == DELIVERY_PENDING,
                )
                .values(claimed_by=None, claimed_until=None, not_before=not_before)
            )

    def retry_later(self, message: Message, error: str) -> bool:
        """A passing failure: try again after an exponential backoff, or give up after
        MAX_ATTEMPTS. Returns True if it will be retried."""
        if message.attempts >= MAX_ATTEMPTS:
            self.fail(message, error)
            return False
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, message.attempts - 1)))
        delay = delay * (0.8 + 0.4 * random.random())  # jitter: replicas do not retry in step
        self.release(message, self.clock.now() + delay, error=error[:64])
        return True

    def fail(self, message: Message, error: str) -> None:
        with self.transaction() as session:
            session.execute(
                update(Delivery)
                .where(self._mine(message.id))
                .values(status=DELIVERY_FAILED, last_error=error[:64], claimed_until=None)
            )
            session.execute(
                update(Delivery)
                .where(Delivery.message_id == message.id, Delivery.status == DELIVERY_PENDING)
                .values(status=DELIVERY_FAILED, last_error=error[:64])
            )

    def mark_unreachable(self, message: Message, error: str) -> None:
        """Slack says this person cannot be messaged: remember it and stop trying."""
        with self.transaction() as session:
            session.execute(
                update(Person).where(Person.id == message.recipient_id).values(unreachable=True)
            )
            session.execute(
                update(Delivery)
                .where(
                    Delivery.recipient_id == message.recipient_id,
                    Delivery.status == DELIVERY_PENDING,
                )
                .values(status=DELIVERY_FAILED, last_error=error[:64], claimed_until=None)
            )


def _due_query(now: datetime) -> Any:
    lease_free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    return select(
        Delivery.id,
        Delivery.recipient_id,
        Delivery.team_id,
        Delivery.kind,
        Delivery.batched,
        Delivery.subject,
        Delivery.period,
        Delivery.payload,
        Delivery.due_at,
        Delivery.attempts,
        Delivery.sending_since,
    ).where(
        Delivery.status == DELIVERY_PENDING,
        Delivery.message_id.is_(None),
        Delivery.not_before <= now,
        lease_free,
    )


def _is_scheduled(row: Any) -> bool:
    """A row that waits for working hours: a batched item, or a digest."""
    return bool(row.batched or row.kind == DIGEST)


class _Claim:
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
        self.pg = _is_postgres(session)
        self._hours_for = hours_for
        self._hours: dict[str, WorkingHours] = {}
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

    # --- finding what is due -------------------------------------------------------------------
    def _select_due(self, limit: int, ids: Sequence[int] | None) -> list[Any]:
        query = _due_query(self.now)
        if ids is not None:
            query = query.where(Delivery.id.in_(list(ids)))
        query = query.order_by(Delivery.not_before, Delivery.id).limit(limit)
        return list(self.session.execute(self._locked(query)).all())

    def _add_siblings(self) -> None:
        """Everything else due for the same people goes into the same message."""
        scheduled_people = {r.recipient_id for r in self.rows if _is_scheduled(r)}
        if not scheduled_people:
            return
        seen = {r.id for r in self.rows}
        siblings = _due_query(self.now).where(
            _among(self.session, Delivery.recipient_id, scheduled_people),
            Delivery.batched.is_(True),
        )
        found = self.session.execute(self._locked(siblings)).all()
        self.rows += [r for r in found if r.id not in seen]

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
        """The recipients, and the latest pause of those who are paused now."""
        session = self.session
        recipients = {r.recipient_id for r in self.rows}
        self.people = {
            p.id: p
            for p in session.execute(
                select(Person.id, Person.slack_user_id, Person.timezone, Person.unreachable).where(
                    Person.id.in_(recipients)
                )
            ).all()
        }
        self.paused = dict(
            session.execute(  # type: ignore[arg-type]
                select(Participation.person_id, func.max(Participation.paused_until))
                .where(
                    _among(session, Participation.person_id, recipients),
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
        self.claim_ids += [r.id for r in group if not _is_scheduled(r)]
        scheduled = [r for r in group if _is_scheduled(r)]
        if not scheduled:
            return
        team_id = scheduled[0].team_id
        wh = self.hours(team_id)
        when = self._not_now(person_id, wh, person.timezone)
        if when is not None:
            self.postpone.update({r.id: when for r in scheduled})
            return
        today = wh.local_day(self.now, person.timezone).isoformat()
        self._plan_digest(person_id, scheduled, today, team_id)

    def _not_now(self, person_id: int, wh: WorkingHours, tz: str | None) -> datetime | None:
        """When scheduled messages may reach a paused person or one outside working hours;
        None when they may be sent now."""
        if person_id in self.paused:
            resume_at = self.paused[person_id]
            return wh.next_start(max(resume_at, self.now + timedelta(hours=1)), tz)
        if not wh.contains(self.now, tz):
            return wh.next_start(self.now, tz)
        return None

    def _plan_digest(self, person_id: int, scheduled: list[Any], today: str, team_id: str) -> None:
        """Today's digest takes the items: an existing one for today is taken over, digests of
        a past day are dissolved."""
        item_ids = [r.id for r in scheduled if r.kind != DIGEST]
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
        new_rows = [
            self._digest_row(person_id, day, team_id)
            for person_id, (day, _items, team_id) in self.want_digest.items()
            if person_id not in self.takeover
        ]
        self.digest_of = dict(self.takeover)
        self.digest_of.update({rid: mid for mid, rid in insert_rows(self.session, new_rows)})

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
                .where(_among(session, Delivery.id, self.claim_ids))
                .values(claimed_by=self.worker, claimed_until=self.lease_until)
            )
        _set_many(
            session,
            "message_id",
            "integer",
            {
                item_id: self.digest_of[p]
                for p, (_day, waiting, _team) in self.want_digest.items()
                if p in self.digest_of
                for item_id in waiting
            },
        )
        _set_many(session, "not_before", "timestamptz", self.postpone)
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
                _among(self.session, Delivery.message_id, reread),
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


def default_hours(session: Session, team_id: str) -> WorkingHours:
    """Working hours from the workspace's default program settings."""
    program = session.scalars(
        select(Program).where(Program.team_id == team_id, Program.is_default.is_(True))
    ).first()
    return WorkingHours.from_settings(program_settings(program))


def pending_count(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == DELIVERY_PENDING)
        )
        or 0
    )


def prune(session: Session, now: datetime, keep: timedelta = timedelta(days=90)) -> int:
    """Forget settled rows older than `keep` (their keys name periods long past)."""
    result = session.execute(
        delete(Delivery).where(
            Delivery.status.in_((DELIVERY_SENT, DELIVERY_FAILED, DELIVERY_DROPPED)),
            Delivery.created_at < now - keep,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
