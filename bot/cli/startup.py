"""Start-up: wait for the database (with backoff, for a bounded time), then migrate it.

A database that is still starting (a container started together with the bot, a failover)
is waited for up to `MENTORBOT_DB_WAIT_SECONDS`; past that, start-up stops with one line that
names the host (never the password). Several replicas may migrate at once
(core.kernel.migrate serialises them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from core.kernel.db import is_sqlite, make_engine

logger = logging.getLogger("mentorbot")

FIRST_DELAY = 0.25  # seconds before the first retry; doubled each time up to MAX_DELAY
MAX_DELAY = 5.0
NOTICE_AFTER = 5.0  # say that we are waiting only once the wait becomes noticeable


class DatabaseUnreachable(Exception):
    """The database could not be reached in time. The message is one line, without secrets."""


def where(url: str) -> str:
    """Where the database is, for people: host and port (or the SQLite file), and the
    database name; never the user name or password."""
    parsed = make_url(url)
    if is_sqlite(url):
        return f"the SQLite file {parsed.database or ':memory:'}"
    host = parsed.host or "the default host (local socket)"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{host}{port}" + (f" (database {parsed.database})" if parsed.database else "")


def probe(url: str, timeout: float) -> None:
    """Open one connection and run `SELECT 1`; raise if that fails."""
    kwargs: dict[str, object] = {"poolclass": NullPool}
    if not is_sqlite(url):
        kwargs["connect_args"] = {"connect_timeout": max(1, round(timeout))}
    engine = make_engine(url, **kwargs)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


def wait_for_database(
    url: str,
    wait_seconds: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    """Return once the database answers; retry with exponential backoff for at most
    `wait_seconds` (0: one attempt), then raise `DatabaseUnreachable`."""
    started = monotonic()
    delay, noticed = FIRST_DELAY, False
    while True:
        remaining = wait_seconds - (monotonic() - started)
        try:
            probe(url, min(10.0, max(1.0, remaining)))
            return
        except (SQLAlchemyError, OSError) as exc:
            problem = type(getattr(exc, "orig", None) or exc).__name__
            remaining = wait_seconds - (monotonic() - started)
            if remaining <= 0:
                raise DatabaseUnreachable(
                    f"the database at {where(url)} is unreachable (waited {wait_seconds:g} s, "
                    f"last error {problem}); check DATABASE_URL and that the database is up"
                ) from None
            if not noticed and monotonic() - started >= NOTICE_AFTER:
                noticed = True
                logger.warning(
                    "waiting up to %g s for the database at %s (%s)",
                    wait_seconds,
                    where(url),
                    problem,
                )
        sleep(min(delay, max(remaining, 0.0)))
        delay = min(delay * 2, MAX_DELAY)
