"""Issue #12, case 13: replicas starting together on an empty database.

Four processes run the start-up migration (`mentorbot db upgrade`, the same `upgrade` that
`mentorbot run` applies) at the same moment on a fresh PostgreSQL schema, or a fresh SQLite
file: all of them succeed (one migrates, the others wait for its lock and find nothing to do)
and the schema is at head, recorded once."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from core.kernel.db import Database
from core.kernel.migrate import head_revision
from core.kernel.schema import metadata
from tests.conftest import BACKENDS, PG_URL, REPO

REPLICAS = 4


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"mb_replicas_{uuid.uuid4().hex[:8]}"
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_replicas_migrating_an_empty_database_at_once_all_come_up(
    empty_database: str, tmp_path: Path
) -> None:
    env = {
        "PATH": "",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": empty_database,
        "MENTORBOT_DB_WAIT_SECONDS": "30",
    }
    replicas = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "db", "upgrade"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    outcomes = [(p.wait(timeout=180), *p.communicate()) for p in replicas]
    assert [code for code, _, _ in outcomes] == [0] * REPLICAS, outcomes
    said = sorted(out.strip() for _, out, _ in outcomes)
    head = head_revision()
    assert all(line.startswith(f"database at revision {head}") for line in said), said
    assert sum("(was None)" in line for line in said) == 1, said  # migrated once
    db = Database(empty_database)
    try:
        with db.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            tables = set(inspect(conn).get_table_names())
    finally:
        db.dispose()
    assert [v[0] for v in versions] == [head]
    assert {t.name for t in metadata.sorted_tables} <= tables
