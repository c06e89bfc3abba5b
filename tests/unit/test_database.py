"""The database: migrations from scratch, SQLite's safety settings, `mentorbot db upgrade`."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import inspect

from core.kernel.db import Database
from core.kernel.migrate import current_revision, head_revision, upgrade
from core.kernel.models import UTCDateTime
from core.kernel.schema import metadata
from core.messaging.models import Delivery
from core.people.models import Person

REPO = Path(__file__).resolve().parents[2]


def test_migrations_build_every_table_the_models_declare(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert current_revision(db.engine) == head_revision()


def test_every_people_table_is_keyed_by_workspace() -> None:
    exempt = {"workspaces"}
    for name, table in metadata.tables.items():
        if name in exempt:
            continue
        assert "team_id" in table.columns, f"{name} has no team_id"


def test_migrations_match_the_models(db: Database) -> None:
    """Autogenerate finds nothing to do: no model change is missing a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    db.dispose()


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'y.db'}")
    upgrade(db.engine)
    upgrade(db.engine)
    assert current_revision(db.engine) == head_revision()
    db.dispose()


def test_cli_db_upgrade_creates_a_fresh_database(tmp_path: Path) -> None:
    target = tmp_path / "fresh.db"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env={"DATABASE_URL": f"sqlite:///{target}", "PATH": "", "HOME": str(tmp_path)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout
    db = Database(f"sqlite:///{target}")
    assert current_revision(db.engine) == head_revision()
    db.dispose()


def test_the_one_sender_migration_moves_old_outbox_rows_dated_as_they_were_written(
    tmp_path: Path,
) -> None:
    """0003 moves a pending invitation (to someone the bot never saw) and an in-flight digest
    into the ledger, each dated when it was written (a migration has no clock of its own)."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db.engine, "0002")
    written = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    when = UTCDateTime(timezone=True)
    rows = {
        "workspaces": [{"team_id": "T1", "installed_at": written}],
        "programs": [
            {
                "id": 1,
                "team_id": "T1",
                "name": "P",
                "is_default": True,
                "settings": {},
                "created_at": written,
            }
        ],
        "announcements": [
            {
                "id": 7,
                "team_id": "T1",
                "program_id": 1,
                "kind": "invite",
                "created_by": "U_CO",
                "created_at": written,
            }
        ],
        "announcement_deliveries": [
            {
                "team_id": "T1",
                "program_id": 1,
                "announcement_id": 7,
                "slack_user_id": "U_NEW",
                "status": "pending",
                "attempts": 0,
            }
        ],
        "digest_deliveries": [
            {
                "team_id": "T1",
                "program_id": 1,
                "slack_user_id": "U_CO",
                "week": "2026-W10",
                "status": "sending",
                "created_at": written,
            }
        ],
    }
    types = {"installed_at": when, "created_at": when, "settings": sa.JSON}
    with db.engine.begin() as conn:
        for name, values in rows.items():
            columns = [sa.column(c, types.get(c, sa.String)) for c in values[0]]
            conn.execute(sa.table(name, *columns).insert(), values)
    upgrade(db.engine)
    with db.transaction() as session:
        moved = {d.kind: d for d in session.scalars(sa.select(Delivery))}
        assert set(moved) == {"invitation", "coordinator_digest"}
        invitation, digest = moved["invitation"], moved["coordinator_digest"]
        assert (invitation.status, invitation.payload) == ("pending", {"announcement": 7})
        assert invitation.due_at == invitation.created_at == written
        assert (digest.status, digest.period, digest.due_at) == ("dropped", "2026-W10", written)
        newcomer = session.get(Person, invitation.recipient_id)
        assert newcomer is not None and newcomer.slack_user_id == "U_NEW"
        assert newcomer.created_at == written
    db.dispose()
