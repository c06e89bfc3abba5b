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

import logging
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.kernel.worktime import WorkingHours
from core.messaging.bulk_sql import KEY_COLUMNS, dialect_insert, insert_rows
from core.messaging.claim import Claim, ClaimStats, Item, Message
from core.messaging.models import (
    DELIVERY_DROPPED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    Delivery,
)
from core.people.models import Person
from core.programs.models import Program
from core.programs.service import program_settings

# Claiming, and the bulk statements, live in their own modules; these names are imported from
# here by the rest of the code.
__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "KEY_COLUMNS",
    "MAX_ATTEMPTS",
    "MAX_ITEMS_PER_MESSAGE",
    "ClaimStats",
    "Delivery",
    "Due",
    "Item",
    "Ledger",
    "Message",
    "default_hours",
    "enqueue",
    "enqueue_now",
    "insert_rows",
    "pending_count",
    "prune",
]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ITEMS_PER_MESSAGE = 8  # a digest stays short; anything beyond waits for the next day


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


def enqueue(session: Session, items: Iterable[Due], now: datetime) -> int:
    """Insert what is not in the ledger yet; returns how many rows were new."""
    return len(insert_rows(session, [_row(d, now) for d in items]))


def enqueue_now(session: Session, due: Due, now: datetime) -> int | None:
    """Insert one row to send right away. Returns its id if it still needs sending (new, or
    pending from an earlier attempt), None if it was already handled."""
    stmt = (
        dialect_insert(session)
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
        run = Claim(
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

    def mark_unconfirmed(self, message: Message, note: str) -> bool:
        """Slack got the call but its answer never came (a timeout): most likely posted, so it
        counts as sent and is not posted again (`last_error` says it was not confirmed)."""
        return self.mark_sent(message, None, None, note=note)

    def mark_sent(
        self, message: Message, channel: str | None, ts: str | None, *, note: str | None = None
    ) -> bool:
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
                        last_error=note[:64] if note else None,
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
