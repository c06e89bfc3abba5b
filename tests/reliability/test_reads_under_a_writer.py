"""Issue #17: the checks on the request path that only read (is this command a replay, does
this person coordinate) take no write lock, so a long write elsewhere (a sweep, an import)
does not make a read-only command wait or fail: `/mentoring help` is answered in full while
another connection holds the write lock. A command that writes is still told to try again
(test_degraded_db.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from sandbox.harness import BotUnderTest

USER = "U_READER"
HELP_LINE = "/mentoring help"
TRY_AGAIN = "couldn't do that just now"


@pytest.fixture
def writer_holds_the_lock(database_url: str) -> Iterator[None]:
    """Another connection in the middle of a write transaction."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(str(make_url(database_url).database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "LOCK TABLE processed_interactions, coordinators IN EXCLUSIVE MODE"
        )  # writers wait, readers do not
        yield
        conn.rollback()
    engine.dispose()


def test_help_is_answered_while_another_connection_holds_the_write_lock(
    slack: BotUnderTest, database_url: str, request: pytest.FixtureRequest
) -> None:
    slack.add_person(USER, "reader")
    request.getfixturevalue("writer_holds_the_lock")
    response = slack.d.slash(USER, text="help")
    assert response.status_code == 200
    said = [m.text or "" for m in slack.fake.dm_messages(USER) if m.user != USER]
    assert any(HELP_LINE in text for text in said), said
    assert not any(TRY_AGAIN in text for text in said)
