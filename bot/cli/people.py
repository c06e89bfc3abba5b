"""`mentorbot people import FILE.csv`: upsert people and their profiles from a CSV file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import fail, settings_or_exit
from core.kernel.clock import SystemClock
from core.kernel.db import Database
from core.people.importer import COLUMNS, ImportFailed
from core.people.imports import import_people_file

MAX_SHOWN = 1000  # problems printed; the count of the rest follows


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("people", help="people and their mentoring profiles")
    actions = parser.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="upsert people from a CSV file (all or nothing)",
        description=(
            "Upsert people from a CSV file with a header row. Columns (any order): "
            + ", ".join(COLUMNS)
            + ". Any bad row aborts the whole import and leaves the database unchanged."
        ),
    )
    imp.add_argument("file", type=Path, help="the CSV file (UTF-8, with or without BOM)")
    imp.add_argument("--team", default=None, help="Slack team id (default: the only workspace)")
    imp.add_argument("--program", default=None, help="program name (default: the default one)")
    imp.set_defaults(func=_import)


def _db_error(exc: Exception) -> str:
    """The database's own one-line message (no SQL, no parameters)."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0]}" if lines else type(original).__name__


def print_problems(exc: ImportFailed) -> None:
    for problem in exc.problems[:MAX_SHOWN]:
        line = str(problem) if problem.line > 0 else f"{problem.column}: {problem.problem}"
        print(line, file=sys.stderr)
    if len(exc.problems) > MAX_SHOWN:
        print(f"... and {len(exc.problems) - MAX_SHOWN} more problems", file=sys.stderr)


def _import(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror or exc}")
    db = Database(settings.database_url)
    started = time.monotonic()
    try:
        result = import_people_file(
            db, data, team_id=args.team, program_name=args.program, clock=SystemClock()
        )
    except ImportFailed as exc:
        print_problems(exc)
        count = len(exc.problems)
        return fail(
            f"nothing was imported: {count} problem{'s' if count != 1 else ''} in {args.file}", 1
        )
    except SQLAlchemyError as exc:
        return fail(
            f"nothing was imported: database error ({_db_error(exc)}); "
            "is the schema up to date (`mentorbot db upgrade`)?",
            1,
        )
    finally:
        db.dispose()
    elapsed = time.monotonic() - started
    print(
        f"imported {result.rows} people into workspace {result.team_id} "
        f"({result.created} new, {result.updated} updated); "
        f"{result.participants} in program '{result.program}', "
        f"{result.confirmed} with a confirmed profile, in {elapsed:.1f} s"
    )
    return 0
