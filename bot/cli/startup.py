"""Start-up: wait for the database (with backoff, for a bounded time), then migrate it; then
warm up (`warm_up`) while the server listens, `/healthz` saying "starting" until it is done.

A database that is still starting (a container started together with the bot, a failover)
is waited for up to `MENTORBOT_DB_WAIT_SECONDS`; past that, start-up stops with one line that
names the host (never the password). Several replicas may migrate at once
(core.kernel.migrate serialises them).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from slack_bolt.middleware.authorization.single_team_authorization import (
    SingleTeamAuthorization,
)
from slack_sdk import WebClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from core.kernel.db import is_sqlite, make_engine
from core.kernel.texts import texts
from core.programs.service import default_settings

if TYPE_CHECKING:
    from bot.app import MentorApp

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


def warm_up(mentor: MentorApp, steps: Sequence[Callable[[], object]]) -> threading.Thread:
    """Run start-up's slow preparations (the FAQ model) on a thread while the server already
    listens; `mentor.ready` (and so `/healthz`) says ready only once they are all done, so the
    first event after `/healthz` turns 200 is answered warm. A step that fails is logged and
    the others still run: the bot then prepares that part on first use, as it would anyway."""
    mentor.ready.clear()

    def work() -> None:
        started = time.monotonic()
        try:
            for step in steps:
                try:
                    step()
                except Exception:
                    logger.exception("a start-up warm-up failed; carrying on without it")
        finally:
            mentor.ready.set()
            logger.info("warmed up in %.1f s: ready", time.monotonic() - started)

    # Not a daemon: the FAQ model's native code must not be killed mid-way at exit.
    thread = threading.Thread(target=work, name="warm-up", daemon=False)
    thread.start()
    return thread


def request_path_warm_up(mentor: MentorApp) -> None:
    """What the first requests would otherwise each pay once: the templates read and
    compiled, the program defaults read and checked, a pooled database connection, and
    Bolt's one `auth.test` (made before the first acknowledgement otherwise)."""
    texts().compile_all("mrkdwn")
    default_settings()
    mentor.db.ping()
    for middleware in getattr(mentor.bolt, "_middleware_list", ()):
        if isinstance(middleware, SingleTeamAuthorization) and not middleware.auth_test_result:
            client = mentor.client  # unguarded: no workspace is known yet, nothing is sent
            probe = WebClient(token=client.token, base_url=client.base_url, timeout=5)
            middleware.auth_test_result = probe.auth_test()
