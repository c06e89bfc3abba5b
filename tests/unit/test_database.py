"""The database: migrations from scratch, SQLite's safety settings, `mentorbot db upgrade`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from core.kernel.db import Database
from core.kernel.migrate import current_revision, head_revision, upgrade
from core.kernel.schema import metadata

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
