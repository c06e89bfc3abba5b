"""Database engine and sessions.

SQLite is the embedded default (WAL, busy timeout, foreign keys on, write transactions begun
immediately so that concurrent writers wait instead of failing); PostgreSQL is the production
database.

Waits are bounded. Sweeps, jobs and the CLI wait up to `SQLITE_BUSY_TIMEOUT_MS` for a lock; a
thread serving a Slack request runs inside `patience(ms)` (see `bot.app`), so its transactions
give up sooner (SQLite busy wait, PostgreSQL statement timeout) and the person can be told.
A PostgreSQL connection attempt gives up after `PG_CONNECT_TIMEOUT_S`, a wait for a pooled
connection after `PG_POOL_TIMEOUT_S`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.kernel import interactions

SQLITE_BUSY_TIMEOUT_MS = 15_000  # sweeps, jobs, the CLI: wait out a concurrent writer
# Before Slack's 3 s acknowledgement (Bolt middleware): give up in time to answer.
ACK_PATH_WAIT_MS = 1_500
# A listener. Some answer Slack only after their database work (a modal's submission is
# answered with its validation errors), so a wait must end in time to answer within 3 s.
REQUEST_WAIT_MS = 1_500
PG_CONNECT_TIMEOUT_S = 2  # libpq's (and psycopg's) minimum
PG_POOL_TIMEOUT_S = 5
# An execution option of `Database.reading()`'s connections: a transaction that only reads.
READ_ONLY = "mentorbot_read_only"

_patience = threading.local()


@contextmanager
def patience(ms: int) -> Iterator[None]:
    """Within this block, this thread's transactions wait at most `ms` for a lock (SQLite's
    busy wait) or a statement (PostgreSQL's statement_timeout, lock waits included)."""
    previous: int | None = getattr(_patience, "ms", None)
    _patience.ms = ms
    try:
        yield
    finally:
        _patience.ms = previous


def current_patience() -> int | None:
    """The wait `patience` set for this thread, or None (the default waits)."""
    ms: int | None = getattr(_patience, "ms", None)
    return ms


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT_S)
    if "connect_timeout" not in make_url(url).query:
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    _configure_postgres(engine)
    return engine


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        ms = current_patience()
        if ms is not None:
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(ms)}")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # This thread's patience (a request) or the default (sweeps, jobs); set only on change.
        wait = current_patience() or SQLITE_BUSY_TIMEOUT_MS
        info = conn.connection.info
        if info.get("busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS) != wait:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait)}")
            info["busy_timeout_ms"] = wait
        # BEGIN IMMEDIATE takes the write lock up front: a read-then-write transaction then
        # waits for the busy timeout under contention instead of failing with "database is
        # locked" half way through. A transaction that only reads (`Database.reading`) needs
        # no lock: in WAL mode readers neither wait for the writer nor hold it up.
        read_only = conn.get_execution_options().get(READ_ONLY)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def add_if_new(session: Session, row: object) -> bool:
    """Add a row and flush it inside a savepoint. False when a unique constraint says it is
    already there (a concurrent worker or a repeat inserted it first): the savepoint is rolled
    back and the rest of the transaction carries on."""
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return False
    return True


def insert_if_new(session: Session, model: Any, key: Sequence[str], **values: Any) -> int | None:
    """INSERT ... ON CONFLICT (key) DO NOTHING, on PostgreSQL or SQLite: the new row's id, or
    None when a row with the same key is already there (a repeat or a concurrent writer)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    return session.execute(
        insert.values(**values).on_conflict_do_nothing(index_elements=list(key)).returning(model.id)
    ).scalar()


class Database:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{READ_ONLY: True})
        self._read_sessions = sessionmaker(reader, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error. Within a Slack
        interaction, the first transaction that writes also records the interaction's key
        (`core.kernel.interactions`), or raises `AlreadyApplied` if it was applied before."""
        with self.sessions() as session, session.begin():
            # --- each Slack interaction applies once (core/kernel/interactions.py) ---
            interactions.watch(session)
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (never write in it). On SQLite it does not take the
        write lock that `transaction()` takes up front, so reads on the request path (is this
        interaction a replay, who coordinates) do not queue behind each other or a writer."""
        with self._read_sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
