"""`mentorbot coordinators add|remove|list`: set who coordinates a program from the command
line. This is how the first coordinator of a workspace is set (a Slack workspace admin or
owner can also do it from Slack while a program has no coordinator)."""

from __future__ import annotations

import argparse
import re

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import fail, settings_or_exit
from core.coordination.roster import RosterOutcome, change_roster
from core.coordination.service import CoordinationError
from core.kernel.clock import SystemClock
from core.kernel.db import Database
from core.kernel.settings import Settings
from core.programs.lifecycle import active_team_ids

USER_ID = re.compile(r"^[UW][A-Z0-9_]{2,31}$")
TEAM_ID = re.compile(r"^[TE][A-Z0-9_]{2,31}$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "coordinators",
        help="who coordinates a program",
        description=(
            "Add, remove or list the coordinators of a program. Use it to set the first "
            "coordinator of a workspace; coordinators then manage each other from Slack "
            "(/mentoring coordinators add @person)."
        ),
    )
    actions = parser.add_subparsers(dest="coordinators_command", metavar="ACTION", required=True)
    for name, help_text in (
        ("add", "make a Slack user a coordinator of a program"),
        ("remove", "remove a coordinator (even the last one)"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("user", help="the person's Slack user id, such as U012ABCDEF")
        _common(action)
        action.set_defaults(func=_add if name == "add" else _remove)
    listing = actions.add_parser("list", help="list a program's coordinators")
    _common(listing)
    listing.set_defaults(func=_list)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--team", default=None, help="Slack team id (default: the only workspace, or the token's)"
    )
    parser.add_argument(
        "--program", default=None, help="program name (default: the workspace's default program)"
    )


class CliError(Exception):
    pass


def _team(db: Database, settings: Settings, team: str | None) -> str:
    if team:
        if not TEAM_ID.match(team):
            raise CliError(f"{team!r} is not a Slack team id (they look like T012ABCDEF)")
        return team
    teams = active_team_ids(db)
    if len(teams) == 1:
        return teams[0]
    if len(teams) > 1:
        raise CliError(f"several workspaces are known ({', '.join(teams)}): pass --team")
    if settings.slack_bot_token is not None:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        client = WebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
        try:
            return str(client.auth_test()["team_id"])
        except SlackApiError as exc:
            raise CliError(
                f"could not ask Slack which workspace the token belongs to "
                f"({exc.response.get('error')}): pass --team"
            ) from None
    raise CliError("no workspace is known yet: pass --team T012ABCDEF")


def _run(args: argparse.Namespace, action: str) -> int:
    settings = settings_or_exit()
    db = Database(settings.database_url)
    try:
        user = getattr(args, "user", None)
        if user is not None and not USER_ID.match(user):
            raise CliError(f"{user!r} is not a Slack user id (they look like U012ABCDEF)")
        team_id = _team(db, settings, args.team)
        outcome = change_roster(
            db,
            team_id=team_id,
            program_name=args.program,
            action=action,
            user_id=user,
            clock=SystemClock(),
        )
        if outcome.status == "no_program":
            raise CliError(
                f"no program called {args.program!r} in {team_id}"
                + (f" (programs: {', '.join(outcome.known)})" if outcome.known else "")
            )
    except CliError as exc:
        return fail(str(exc))
    except CoordinationError as exc:
        return fail(f"could not {action} the coordinator: {exc.key}")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__)
        return fail(f"database error ({reason}): is it migrated? mentorbot db upgrade")
    finally:
        db.dispose()
    return _say(action, user, outcome, team_id)


def _say(action: str, user: str | None, outcome: RosterOutcome, team_id: str) -> int:
    name, changed = outcome.program, outcome.changed
    if action == "list":
        print(f"{name} ({team_id}): " + (", ".join(outcome.coordinators) or "no coordinators"))
    elif action == "add":
        print(f"{user} {'is now' if changed else 'was already'} a coordinator of {name}")
    else:
        print(f"{user} {'is no longer' if changed else 'was not'} a coordinator of {name}")
    return 0


def _add(args: argparse.Namespace) -> int:
    return _run(args, "add")


def _remove(args: argparse.Namespace) -> int:
    return _run(args, "remove")


def _list(args: argparse.Namespace) -> int:
    return _run(args, "list")
