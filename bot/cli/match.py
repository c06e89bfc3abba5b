"""`mentorbot match preview`: run matching over the current data without sending anything."""

from __future__ import annotations

import argparse
import json

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import fail, settings_or_exit
from bot.cli.people import _db_error, print_problems
from core.kernel.clock import SystemClock
from core.kernel.db import Database
from core.matchmaking.service import MatchingError, PreviewResult, preview
from core.people.importer import ImportFailed, choose_program, choose_workspace


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("match", help="matching mentees with mentors")
    actions = parser.add_subparsers(dest="match_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "preview",
        help="show the shortlists matching would offer now (sends nothing, changes nothing)",
    )
    show.add_argument("--team", default=None, help="Slack team id (default: the only workspace)")
    show.add_argument("--program", default=None, help="program name (default: the default one)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.add_argument(
        "--max-memory-mb",
        type=_positive,
        default=None,
        metavar="MB",
        help="memory this preview's matching run may use (default: the program's setting "
        "matching_max_memory_mb, set in content/program_defaults.yaml or by a coordinator); "
        "larger programs are refused, not run",
    )
    show.set_defaults(func=_preview)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 10_000_000:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to 10000000, got {value!r}"
        )
    return number


def _preview(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    db = Database(settings.database_url)
    clock = SystemClock()
    try:
        with db.sessions() as session:  # read only: rolled back, never committed
            team = choose_workspace(session, args.team)
            program = choose_program(session, team, args.program, clock, create_default=False)
            result = preview(session, program, clock, max_memory_mb=args.max_memory_mb)
            session.rollback()
    except ImportFailed as exc:
        print_problems(exc)
        return 2
    except MatchingError as exc:
        return fail(str(exc), 1)
    except SQLAlchemyError as exc:
        return fail(
            f"database error ({_db_error(exc)}); is the schema up to date (`mentorbot db upgrade`)?",
            1,
        )
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(summary(result))
    return 0


def summary(preview_result: PreviewResult) -> str:
    result, people = preview_result.result, preview_result.people

    def who(user_id: str) -> str:
        ref = people.get(user_id)
        return f"{user_id} ({ref.name})" if ref is not None else user_id

    stats = result.stats
    lines = [
        f"Program '{preview_result.program}' in workspace {preview_result.team_id}: "
        f"{stats.get('mentees', 0)} mentees waiting, {stats.get('mentors', 0)} mentors "
        f"({stats.get('mentors_with_capacity', 0)} with room).",
        f"{len(result.shortlists)} shortlisted, {len(result.unmatched)} without candidates. "
        "Nothing was sent or changed.",
    ]
    for mentee, candidates in sorted(result.shortlists.items()):
        lines.append("")
        lines.append(who(mentee))
        for number, cand in enumerate(candidates, start=1):
            lines.append(f"  {number}. {who(cand.mentor_id)}  score {cand.score:.3f}")
            lines += [f"       - {r.text}" for r in cand.reasons]
    if result.unmatched:
        lines.append("")
        lines.append("Without candidates:")
        for item in sorted(result.unmatched, key=lambda u: u.mentee_id):
            lines.append(f"  {who(item.mentee_id)}: {item.reason}")
    return "\n".join(lines)
