"""`mentorbot db upgrade|current`: schema migrations."""

from __future__ import annotations

import argparse

from bot.cli.common import fail, settings_or_exit
from bot.cli.startup import DatabaseUnreachable, wait_for_database
from core.kernel.db import Database
from core.kernel.migrate import current_revision, head_revision, upgrade


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema migrations")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="apply every pending migration")
    up.set_defaults(func=_upgrade)
    current = actions.add_parser("current", help="show the schema revision")
    current.set_defaults(func=_current)


def _upgrade(_args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    try:
        wait_for_database(settings.database_url, settings.db_wait_seconds)
    except DatabaseUnreachable as exc:
        return fail(str(exc))
    db = Database(settings.database_url)
    try:
        before = upgrade(db.engine)  # read once this run has the migration lock
        after = current_revision(db.engine)
    except Exception as exc:  # a clear line rather than a traceback
        return fail(f"could not migrate the database: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()
    print(
        f"database at revision {after}"
        + (" (no changes)" if before == after else f" (was {before})")
    )
    return 0


def _current(_args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    db = Database(settings.database_url)
    try:
        current = current_revision(db.engine)
    finally:
        db.dispose()
    head = head_revision()
    print(f"current: {current}\nlatest:  {head}")
    return 0 if current == head else 1
