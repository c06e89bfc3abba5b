"""Each Slack interaction applies once, enforced by the database.

The Slack adapter derives an opaque key per delivery of a state-changing interaction (a
button, a modal submission, a slash command; a replay carries the same key) and sets it for
the request with `begin`. Core knows nothing of Slack: it only sees that key.

`Database.transaction()` calls `watch(session)`. Then the first transaction of the request
that writes anything (an ORM flush, ORM or Core DML, or raw INSERT/UPDATE/DELETE on the
session's connection) first inserts the key into `processed_interactions`, in that same
transaction. So:

- a read-only transaction records nothing: a command that only reads answers every time;
- a transaction that fails or is rolled back (a crash, a validation error raised as an
  exception) takes the key with it: the retry applies;
- if the key is already there (committed by an earlier delivery, or by a concurrent one that
  commits first: PostgreSQL's ON CONFLICT waits for it, SQLite's BEGIN IMMEDIATE serialises
  writers), the write raises `AlreadyApplied` before anything is changed and the transaction
  rolls back;
- once the key is committed, later transactions of the same request write freely.

The key never goes into a savepoint, whose rollback would take it away: it is inserted just
before the first savepoint is opened (a savepoint is opened to try a write, `add_if_new`), and
in any case before the transaction commits.
"""

from __future__ import annotations

import re
import threading
import weakref
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.elements import SavepointClause, TextClause

from core.kernel.models import ProcessedInteraction

KEY_MAX_CHARS = 80
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)


class AlreadyApplied(Exception):  # noqa: N818  (a state, not a failure)
    """This interaction was already applied by an earlier (or concurrent) delivery; nothing
    was changed this time."""

    def __init__(self, key: str) -> None:
        super().__init__(f"interaction {key} was already applied")
        self.key = key


@dataclass
class Interaction:
    """One delivery's key, shared by every transaction (and thread) of its request."""

    key: str
    team_id: str
    received_at: datetime
    recorded: bool = False  # committed by a transaction of this request
    claimant: object | None = None  # the session recording it right now
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


current: ContextVar[Interaction | None] = ContextVar("mentorbot_interaction", default=None)


def begin(key: str, team_id: str, received_at: datetime) -> Interaction:
    """The interaction the rest of this request (and the work it hands to other threads with
    the context copied) belongs to."""
    if len(key) > KEY_MAX_CHARS:
        raise ValueError(f"an interaction key is at most {KEY_MAX_CHARS} characters")
    interaction = Interaction(key=key, team_id=team_id, received_at=received_at)
    current.set(interaction)
    return interaction


def end() -> None:
    """No interaction from here on (a request that is not one)."""
    current.set(None)


@dataclass
class _Watch:
    """What one session's root transaction did about the current interaction."""

    interaction: Interaction
    session: Session
    wrote: bool = False
    inserted: bool = False
    settled: bool = False  # inserted, or another transaction of the request records it
    busy: bool = False  # inserting the key (its own statement must not trigger a claim)
    connections: list[Connection] = field(default_factory=list)


_WATCH = "mentorbot.interaction"
_by_connection: weakref.WeakKeyDictionary[Connection, _Watch] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def watch(session: Session) -> None:
    """Called by `Database.transaction()` for each new session: if the request has an
    interaction key not yet recorded, the session's first write records it."""
    interaction = current.get()
    if interaction is not None and not interaction.recorded:
        session.info[_WATCH] = _Watch(interaction, session)


def _watch_of(session: Session) -> _Watch | None:
    found = session.info.get(_WATCH)
    return found if isinstance(found, _Watch) else None


def _is_write(statement: Any) -> bool:
    if isinstance(statement, str):
        return bool(_WRITES.match(statement))
    if isinstance(statement, TextClause):
        return bool(_WRITES.match(statement.text))
    return bool(getattr(statement, "is_dml", False))


def _claim(w: _Watch, connection: Connection) -> None:
    """Insert the key in this transaction (once), or raise `AlreadyApplied`."""
    if w.settled:
        return
    interaction = w.interaction
    with interaction.lock:
        if interaction.recorded or interaction.claimant not in (None, w.session):
            w.settled = True  # another transaction of this request has it
            return
        interaction.claimant = w.session
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(ProcessedInteraction)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(ProcessedInteraction.key)
    )
    w.busy = True
    try:
        inserted = connection.execute(
            statement.values(
                key=interaction.key,
                team_id=interaction.team_id,
                received_at=interaction.received_at,
            )
        ).scalar()
    finally:
        w.busy = False
    if inserted is None:  # already there: committed by another delivery
        with interaction.lock:
            interaction.claimant = None
        raise AlreadyApplied(interaction.key)
    w.inserted = w.settled = True


# --- SQLAlchemy events: every session and engine, inert unless `watch` marked the session ---


@event.listens_for(Session, "after_begin")
def _after_begin(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    w = _watch_of(session)
    if w is not None:
        with _registry_lock:
            _by_connection[connection] = w
        w.connections.append(connection)


def _savepoints(session: Session) -> int:
    """How many savepoints are open (counting one being opened right now)."""
    depth, transaction = 0, session.get_nested_transaction()
    while transaction is not None:
        depth += int(transaction.nested)
        transaction = transaction.parent
    return depth


@event.listens_for(Engine, "before_execute")
def _before_execute(conn: Connection, statement: Any, *_args: Any) -> None:
    w = _by_connection.get(conn)
    if w is None or w.busy or w.settled:
        return
    if isinstance(statement, SavepointClause):
        # A savepoint is opened to try a write (`add_if_new`): the key goes in just before
        # the first one, into the transaction itself, where rolling the savepoint back
        # cannot take it away.
        if _savepoints(w.session) == 1:
            _claim(w, conn)
        return
    if _is_write(statement):
        w.wrote = True
        if _savepoints(w.session) == 0:
            _claim(w, conn)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    w = _watch_of(session)
    if w is not None and w.wrote and not session.in_nested_transaction():
        _claim(w, session.connection())  # the writes were all in nested savepoints


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    w = _watch_of(session)
    if w is not None and w.inserted and not session.in_nested_transaction():
        w.interaction.recorded = True


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    w = _watch_of(session)
    if w is None or transaction.parent is not None:
        return
    with w.interaction.lock:
        if w.interaction.claimant is w.session:
            w.interaction.claimant = None
    with _registry_lock:
        for connection in w.connections:
            _by_connection.pop(connection, None)
    w.connections.clear()
    session.info.pop(_WATCH, None)
