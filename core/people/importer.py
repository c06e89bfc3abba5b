"""Importing people (and their mentoring profiles) from a CSV file. No Slack.

The import is all-or-nothing: the whole file is read and checked first, every problem is
reported as ``line N: column: problem``, and only a file without problems is written, in one
transaction, with bulk statements (100,000 rows take seconds, see docs/import.md).

Columns (header row required, order free, names case-insensitive):

=================  ===========================================================================
``slack_user_id``  required; the person's Slack member id (``U012ABCDEF``)
``name``           required
``email``          optional
``manager``        the manager's Slack member id (they need not be in the file)
``department``     optional
``title``          optional
``roles``          ``mentee``, ``mentor`` or ``mentee;mentor``; empty: the person is recorded
                   but their place in the program is left as it is
``goals``          competency ids, ``;``-separated, highest priority first (mentees)
``expertise``      competency ids, ``;``-separated (mentors)
``capacity``       whole number 0-5: mentees a mentor takes at once (default 1)
``timezone``       IANA name such as ``Europe/Berlin``
``languages``      language codes, ``;``-separated (``en;pt``)
``meeting_format`` ``remote``, ``in_person`` or ``either``
=================  ===========================================================================

Upsert rules: a person is found by ``slack_user_id`` in the workspace. Only the columns the
file has are written; an empty cell in a present column clears that value (``name`` cannot be
empty). A row with roles and goals (mentees) / expertise (mentors) is a confirmed profile,
active in matching; a row with roles but without them is left to finish in onboarding.
Goals keep the "what success looks like" words a person already gave for the same goal.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.people.import_rows import (
    COLUMNS,
    REQUIRED_COLUMNS,
    TEXT_LIMITS,
    ImportFailed,
    ImportProblem,
    ParsedFile,
    PersonRow,
    cycle_problems,
    find_cycles,
    parse_people_csv,
    parse_rows,
)
from core.people.import_write import PERSON_FIELDS, write_participations, write_people
from core.programs.models import Program, Workspace
from core.programs.service import default_program, ensure_workspace, program_settings

# Reading and checking rows (core/people/import_rows.py) and writing them
# (core/people/import_write.py) live in their own modules; these names are imported from here.
__all__ = [
    "COLUMNS",
    "PERSON_FIELDS",
    "REQUIRED_COLUMNS",
    "TEXT_LIMITS",
    "ImportFailed",
    "ImportProblem",
    "ImportResult",
    "ParsedFile",
    "PersonRow",
    "choose_program",
    "choose_workspace",
    "find_cycles",
    "import_people",
    "parse_people_csv",
]


@dataclass(frozen=True)
class ImportResult:
    team_id: str
    program: str
    rows: int
    created: int
    updated: int
    participants: int
    confirmed: int


def choose_workspace(session: Session, team_id: str | None) -> str:
    """`team_id`, or the only workspace in the database. Raises ImportFailed otherwise."""
    if team_id:
        return team_id
    teams = list(session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))
    if len(teams) == 1:
        return teams[0]
    if not teams:
        problem = "the database has no workspace yet: pass --team with your Slack team id (T...)"
    else:
        problem = f"the database has several workspaces ({', '.join(teams)}): pass --team"
    raise ImportFailed([ImportProblem(0, "--team", problem)])


def choose_program(
    session: Session, team_id: str, name: str | None, clock: Clock, *, create_default: bool
) -> Program:
    if name is None:
        if create_default:
            return default_program(session, team_id, clock)
        program = session.scalars(
            select(Program)
            .where(Program.team_id == team_id)
            .order_by(Program.is_default.desc(), Program.id)
        ).first()
        if program is None:
            raise ImportFailed(
                [ImportProblem(0, "--program", f"workspace {team_id} has no program yet")]
            )
        return program
    program = session.scalars(
        select(Program).where(Program.team_id == team_id, Program.name == name)
    ).first()
    if program is None:
        known = list(
            session.scalars(
                select(Program.name).where(Program.team_id == team_id).order_by(Program.id)
            )
        )
        listed = ", ".join(f"'{n}'" for n in known) or "none yet"
        raise ImportFailed(
            [ImportProblem(0, "--program", f"no program named '{name}' (programs: {listed})")]
        )
    return program


def import_people(
    session: Session,
    data: bytes,
    *,
    team_id: str | None,
    program_name: str | None,
    clock: Clock,
) -> ImportResult:
    """Check the whole file, then upsert everyone in it (one transaction: the caller's).

    Raises :class:`ImportFailed` (and writes nothing) if anything is wrong.
    """
    team = choose_workspace(session, team_id)
    known = session.scalars(
        select(Program)
        .where(Program.team_id == team, *([Program.name == program_name] if program_name else []))
        .order_by(Program.is_default.desc(), Program.id)
    ).first()
    if program_name and known is None:
        choose_program(session, team, program_name, clock, create_default=False)  # raises
    parsed, problems = parse_rows(data, program_settings(known))
    problems += cycle_problems(session, team, parsed)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.line))
    ensure_workspace(session, team, clock)
    program = choose_program(session, team, program_name, clock, create_default=True)
    now = clock.now()
    created, updated = write_people(session, team, parsed, now)
    participants, confirmed = write_participations(session, team, program, parsed, now)
    return ImportResult(
        team_id=team,
        program=program.name,
        rows=len(parsed.rows),
        created=created,
        updated=updated,
        participants=participants,
        confirmed=confirmed,
    )
