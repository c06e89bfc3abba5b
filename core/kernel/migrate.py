"""Schema migrations (Alembic), run programmatically: `mentorbot db upgrade` and at start-up
(`mentorbot run`, the sandbox).

Several replicas may start at once on an empty database: on PostgreSQL each migration run
takes a transaction-level advisory lock (`pg_advisory_xact_lock` on a fixed key) first, so one
replica migrates and the others wait, then find the schema at head and change nothing. On
SQLite the migration's transaction begins IMMEDIATE (core.kernel.db), which takes the
database's write lock up front and so serialises concurrent runs the same way.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The advisory lock key that serialises migration runs on one PostgreSQL database
# (a fixed, arbitrary 64-bit number: "mentorbot migrate").
MIGRATION_LOCK_KEY = 0x6D62_6D69_6772_6174


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply every pending migration on this engine's database, one process at a time: a
    concurrent run waits for this one, then finds nothing pending. Returns the revision the
    database was at when this run got its turn (None: empty)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction (the whole migration) commits or rolls back.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending(engine: Engine) -> bool:
    return current_revision(engine) != head_revision()
