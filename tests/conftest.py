"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL too when
MENTORBOT_TEST_DATABASE_URL is set), and a running bot wired to the fake Slack."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.kernel.clock import FakeClock
from core.kernel.db import Database
from core.kernel.migrate import upgrade
from core.kernel.schema import metadata as all_tables

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("MENTORBOT_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
SIGNING_SECRET = "test-signing-secret-0123456789"

os.environ.setdefault("MENTORBOT_CONTENT_DIR", str(REPO / "content"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str | None]:
    """A schema of its own in the PostgreSQL test database for this test session, so
    concurrent sessions cannot disturb each other; dropped at the end."""
    if not PG_URL:
        yield None
        return
    schema = f"mb_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Commits need not wait for the disk: the tests check behaviour, not durability against
    # a power cut, and this saves a flush per transaction.
    options = f"-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options={options}"
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    try:
        yield url
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in all_tables.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_migrated: str | None,
) -> str:
    """A migrated, empty database, on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "mentorbot.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    assert postgres_migrated is not None
    _truncate_postgres(postgres_migrated)
    return postgres_migrated


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack(database_url: str, clock: FakeClock) -> Iterator[object]:
    from sandbox.harness import BotUnderTest

    bot = BotUnderTest(
        database_url=database_url, clock=clock, signing_secret=SIGNING_SECRET, fast_sending=True
    )
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()


@pytest.fixture
def slack_no_retention(database_url: str, clock: FakeClock) -> Iterator[object]:
    """The bot with `MENTORBOT_RETENTION_DAYS=0`: an uninstalled workspace is purged by the
    next sweep."""
    from sandbox.harness import BotUnderTest

    bot = BotUnderTest(
        database_url=database_url,
        clock=clock,
        signing_secret=SIGNING_SECRET,
        settings_overrides={"MENTORBOT_RETENTION_DAYS": "0"},
        fast_sending=True,
    )
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()
