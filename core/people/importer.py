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

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.people.models import (
    MEETING_FORMATS,
    STATUS_ACTIVE,
    STATUS_ONBOARDING,
    Expertise,
    Goal,
    Participation,
    Person,
)
from core.people.profiles import MAX_EXPERTISE, languages, taxonomy
from core.programs.models import Program, Workspace
from core.programs.service import default_program, ensure_workspace, program_settings
from core.programs.settings import ProgramSettings

COLUMNS = (
    "slack_user_id",
    "name",
    "email",
    "manager",
    "department",
    "title",
    "roles",
    "goals",
    "expertise",
    "capacity",
    "timezone",
    "languages",
    "meeting_format",
)
REQUIRED_COLUMNS = ("slack_user_id", "name")
# CSV column -> Person attribute, for the plain person fields.
PERSON_FIELDS = {
    "name": "display_name",
    "email": "email",
    "manager": "manager_slack_id",
    "department": "department",
    "title": "title",
    "timezone": "timezone",
}
TEXT_LIMITS = {"name": 200, "email": 320, "department": 200, "title": 200}
FILE = "(file)"
ROW = "(row)"
CHUNK = 500  # ids per IN (...) list

_SLACK_ID = re.compile(r"^[A-Z0-9][A-Z0-9_]{1,31}$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_T = TypeVar("_T")


@dataclass(frozen=True)
class ImportProblem:
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.problem}"


class ImportFailed(ValueError):
    """The file (or the options) cannot be imported; nothing was written."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class PersonRow:
    line: int
    slack_user_id: str
    name: str
    email: str | None = None
    manager: str | None = None
    department: str | None = None
    title: str | None = None
    roles: frozenset[str] = frozenset()
    goals: list[str] | None = None
    expertise: list[str] | None = None
    capacity: int | None = None
    timezone: str | None = None
    languages: list[str] | None = None
    meeting_format: str | None = None

    def value(self, column: str) -> Any:
        return getattr(self, column)


@dataclass(frozen=True)
class ParsedFile:
    rows: list[PersonRow]
    columns: frozenset[str]


@dataclass(frozen=True)
class ImportResult:
    team_id: str
    program: str
    rows: int
    created: int
    updated: int
    participants: int
    confirmed: int


# --------------------------------------------------------------------------------------------
# Reading and checking the file
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _timezone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except Exception:
        return False


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [ImportProblem(line, FILE, "this is not UTF-8 text; save the file as CSV UTF-8")]
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for each record; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last = 0
    while True:
        start = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(
                [ImportProblem(reader.line_num or start, FILE, f"not valid CSV ({exc})")]
            ) from None
        last = reader.line_num
        if cells and any(c.strip() for c in cells):
            yield start, cells


def _header(line: int, cells: list[str]) -> tuple[list[str], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    names = [c.strip().lower() for c in cells]
    seen: set[str] = set()
    for name in names:
        if not name:
            problems.append(ImportProblem(line, "(header)", "a column has no name"))
        elif name not in COLUMNS:
            problems.append(
                ImportProblem(line, name, f"unknown column; the columns are {', '.join(COLUMNS)}")
            )
        elif name in seen:
            problems.append(ImportProblem(line, name, "this column appears twice"))
        seen.add(name)
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            problems.append(ImportProblem(line, required, "required column is missing"))
    return names, problems


class _RowChecker:
    def __init__(self, settings: ProgramSettings) -> None:
        self.known = taxonomy().by_id
        self.languages = {code.lower(): code for code in languages()}
        self.max_goals = settings.max_goals  # at most MAX_GOALS (checked in the settings)
        self.max_capacity = settings.max_mentor_capacity  # at most MAX_CAPACITY

    def competencies(
        self, line: int, column: str, value: str, limit: int, problems: list[ImportProblem]
    ) -> list[str]:
        ids = _split(value)
        unknown = [c for c in ids if c not in self.known]
        for c in unknown:
            problems.append(
                ImportProblem(
                    line, column, f"unknown competency id '{c}' (see content/competencies.yaml)"
                )
            )
        dupes = sorted({c for c in ids if ids.count(c) > 1})
        if dupes:
            problems.append(ImportProblem(line, column, f"'{dupes[0]}' is listed twice"))
        if len(ids) > limit:
            problems.append(ImportProblem(line, column, f"at most {limit} allowed, got {len(ids)}"))
        return ids

    def row(self, line: int, cells: Mapping[str, str], problems: list[ImportProblem]) -> PersonRow:
        slack_id = _cell(cells, "slack_user_id")
        _check_slack_id(line, slack_id, problems)
        name = _cell(cells, "name")
        if not name:
            problems.append(ImportProblem(line, "name", "required, but empty"))
        row = PersonRow(line=line, slack_user_id=slack_id, name=name)
        _check_text_limits(line, cells, problems)
        _read_contact(row, cells, problems)
        _read_manager(row, cells, problems)
        _read_roles(row, cells, problems)
        self._read_competencies(row, cells, problems)
        self._read_capacity(row, cells, problems)
        _read_timezone(row, cells, problems)
        self._read_languages(row, cells, problems)
        _read_meeting_format(row, cells, problems)
        return row

    def _read_competencies(
        self, row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]
    ) -> None:
        """Goals (mentees only) and expertise (mentors only), when their columns are there."""
        line = row.line
        if "goals" in cells:
            goals = self.competencies(
                line, "goals", _cell(cells, "goals"), self.max_goals, problems
            )
            if goals and "mentee" not in row.roles:
                problems.append(
                    ImportProblem(line, "goals", "only mentees have goals: add mentee to roles")
                )
            row.goals = goals
        if "expertise" in cells:
            expertise = self.competencies(
                line, "expertise", _cell(cells, "expertise"), MAX_EXPERTISE, problems
            )
            if expertise and "mentor" not in row.roles:
                problems.append(
                    ImportProblem(
                        line, "expertise", "only mentors offer expertise: add mentor to roles"
                    )
                )
            row.expertise = expertise

    def _read_capacity(
        self, row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]
    ) -> None:
        line = row.line
        capacity = _cell(cells, "capacity")
        if not capacity:
            return
        try:
            row.capacity = int(capacity)
        except ValueError:
            problems.append(ImportProblem(line, "capacity", f"'{capacity}' is not a whole number"))
            return
        if not 0 <= row.capacity <= self.max_capacity:
            problems.append(
                ImportProblem(
                    line,
                    "capacity",
                    f"must be from 0 to {self.max_capacity}, got {row.capacity}",
                )
            )

    def _read_languages(
        self, row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]
    ) -> None:
        if "languages" not in cells:
            return
        codes: list[str] = []
        for code in _split(_cell(cells, "languages")):
            known = self.languages.get(code.lower())
            if known is None:
                problems.append(
                    ImportProblem(
                        row.line,
                        "languages",
                        f"unknown language code '{code}' (see content/languages.yaml)",
                    )
                )
            elif known not in codes:
                codes.append(known)
        row.languages = codes


def _cell(cells: Mapping[str, str], column: str) -> str:
    return cells.get(column, "").strip()


def _check_slack_id(line: int, slack_id: str, problems: list[ImportProblem]) -> None:
    if not slack_id:
        problems.append(ImportProblem(line, "slack_user_id", "required, but empty"))
    elif not _SLACK_ID.match(slack_id):
        problems.append(
            ImportProblem(
                line,
                "slack_user_id",
                f"'{slack_id}' is not a Slack member id (like U012ABCDEF)",
            )
        )


def _check_text_limits(line: int, cells: Mapping[str, str], problems: list[ImportProblem]) -> None:
    for column, limit in TEXT_LIMITS.items():
        value = _cell(cells, column)
        if len(value) > limit:
            problems.append(
                ImportProblem(line, column, f"at most {limit} characters, got {len(value)}")
            )


def _read_contact(row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]) -> None:
    """Email, department and title."""
    email = _cell(cells, "email")
    if email and not _EMAIL.match(email):
        problems.append(ImportProblem(row.line, "email", f"'{email}' is not an email address"))
    row.email = email or None
    row.department = _cell(cells, "department") or None
    row.title = _cell(cells, "title") or None


def _read_manager(row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]) -> None:
    manager = _cell(cells, "manager")
    if manager:
        if not _SLACK_ID.match(manager):
            problems.append(
                ImportProblem(row.line, "manager", f"'{manager}' is not a Slack member id")
            )
        elif manager == row.slack_user_id:
            problems.append(ImportProblem(row.line, "manager", "a person cannot manage themselves"))
    row.manager = manager or None


def _read_roles(row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]) -> None:
    roles = {r.lower() for r in _split(_cell(cells, "roles"))}
    if roles - {"mentee", "mentor"}:
        problems.append(
            ImportProblem(
                row.line,
                "roles",
                f"'{_cell(cells, 'roles')}' is not mentee, mentor or mentee;mentor",
            )
        )
        roles &= {"mentee", "mentor"}
    row.roles = frozenset(roles)


def _read_timezone(row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]) -> None:
    timezone = _cell(cells, "timezone")
    if timezone and not _timezone_ok(timezone):
        problems.append(
            ImportProblem(
                row.line,
                "timezone",
                f"unknown time zone '{timezone}'; use an IANA name such as Europe/Berlin",
            )
        )
    row.timezone = timezone or None


def _read_meeting_format(
    row: PersonRow, cells: Mapping[str, str], problems: list[ImportProblem]
) -> None:
    meeting = _cell(cells, "meeting_format").lower().replace("-", "_").replace(" ", "_")
    if meeting and meeting not in MEETING_FORMATS:
        problems.append(
            ImportProblem(
                row.line,
                "meeting_format",
                f"'{_cell(cells, 'meeting_format')}' is not remote, in_person or either",
            )
        )
    row.meeting_format = meeting or None


def parse_people_csv(data: bytes, settings: ProgramSettings | None = None) -> ParsedFile:
    """Read and check a people CSV (bytes, UTF-8 with or without BOM).

    Raises :class:`ImportFailed` listing every problem found in the file itself. (Reporting
    cycles that involve people already in the database are found by :func:`import_people`.)
    """
    parsed, problems = _parse(data, settings or program_settings(None))
    if problems:
        raise ImportFailed(problems)
    return parsed


def _parse(data: bytes, settings: ProgramSettings) -> tuple[ParsedFile, list[ImportProblem]]:
    """The rows that could be read, and every problem. Raises ImportFailed only when the file
    cannot be read at all (encoding, CSV syntax, header)."""
    text = _decode(data)
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise ImportFailed([ImportProblem(1, FILE, "the file is empty; it needs a header row")])
    header_line, header_cells = first
    names, problems = _header(header_line, header_cells)
    if problems:
        raise ImportFailed(problems)
    checker = _RowChecker(settings)
    rows: list[PersonRow] = []
    first_line: dict[str, int] = {}
    for line, cells in records:
        if len(cells) > len(names):
            problems.append(
                ImportProblem(
                    line,
                    ROW,
                    f"{len(cells)} values but the header has {len(names)} columns "
                    "(is a value with a comma missing its quotes?)",
                )
            )
            continue
        values = dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=True))
        row = checker.row(line, values, problems)
        if row.slack_user_id:
            earlier = first_line.setdefault(row.slack_user_id, line)
            if earlier != line:
                problems.append(
                    ImportProblem(
                        line,
                        "slack_user_id",
                        f"{row.slack_user_id} is already on line {earlier}",
                    )
                )
                continue
        rows.append(row)
    return ParsedFile(rows=rows, columns=frozenset(names)), problems


def find_cycles(managers: Mapping[str, str | None]) -> list[list[str]]:
    """Every reporting cycle in ``person -> manager``, each as [a, b, ..., a]."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []
    for start in managers:
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and not state.get(node):
            state[node] = 1
            path.append(node)
            node = managers.get(node)
        if node is not None and state.get(node) == 1:
            loop = path[path.index(node) :]
            cycles.append([*loop, node])
        for visited in path:
            state[visited] = 2
    return cycles


def _cycle_problems(session: Session, team_id: str, parsed: ParsedFile) -> list[ImportProblem]:
    if not any(r.manager for r in parsed.rows):
        return []  # no new reporting lines: nothing can form a cycle
    managers: dict[str, str | None] = {}
    for slack_id, manager in session.execute(
        select(Person.slack_user_id, Person.manager_slack_id)
        .where(Person.team_id == team_id)
        .order_by(Person.slack_user_id)
    ):
        managers[slack_id] = manager or None
    for row in parsed.rows:
        managers[row.slack_user_id] = row.manager
    lines = {r.slack_user_id: r.line for r in parsed.rows}
    problems: list[ImportProblem] = []
    for cycle in find_cycles(managers):
        in_file = sorted(lines[p] for p in set(cycle) if p in lines)
        if not in_file:
            continue
        # Start the cycle at the person on the first line it is reported on, so the message
        # reads from that row, whatever order the database returned people in.
        loop = cycle[:-1]
        first = next(p for p in loop if lines.get(p) == in_file[0])
        at = loop.index(first)
        cycle = [*loop[at:], *loop[:at], first]
        shown = " -> ".join(cycle[:11] + (["..."] if len(cycle) > 11 else []))
        others = [str(n) for n in in_file[1:]]
        also = (
            f" (also line{'s' if len(others) > 1 else ''} {', '.join(others[:10])})"
            if others
            else ""
        )
        problems.append(
            ImportProblem(
                in_file[0],
                "manager",
                f"reporting cycle {shown}{also}: every chain of managers must end with "
                "someone who has no manager",
            )
        )
    return problems


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _chunks(items: Sequence[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """A Core executemany INSERT (much lighter than the ORM's bulk insert)."""
    for chunk in _chunks(rows, 5000):
        session.execute(insert(table), list(chunk))


def _update(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """A Core executemany UPDATE by primary key; every row has the same keys."""
    if not rows:
        return
    keys = [k for k in rows[0] if k != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({k: bindparam(f"_{k}") for k in keys})
    )
    for chunk in _chunks(rows, 5000):
        session.execute(statement, [{f"_{k}": v for k, v in row.items()} for row in chunk])


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


def _person_values(row: PersonRow, columns: Iterable[str]) -> dict[str, Any]:
    return {PERSON_FIELDS[c]: row.value(c) for c in columns}


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
    parsed, problems = _parse(data, program_settings(known))
    problems += _cycle_problems(session, team, parsed)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.line))
    ensure_workspace(session, team, clock)
    program = choose_program(session, team, program_name, clock, create_default=True)
    now = clock.now()
    created, updated = _write_people(session, team, parsed, now)
    participants, confirmed = _write_participations(session, team, program, parsed, now)
    return ImportResult(
        team_id=team,
        program=program.name,
        rows=len(parsed.rows),
        created=created,
        updated=updated,
        participants=participants,
        confirmed=confirmed,
    )


def _write_people(
    session: Session, team: str, parsed: ParsedFile, now: datetime
) -> tuple[int, int]:
    """Insert new people, update the ones whose values changed. (created, updated)"""
    columns = [c for c in PERSON_FIELDS if c in parsed.columns]
    fields = [PERSON_FIELDS[c] for c in columns]
    existing: dict[str, tuple[int, dict[str, Any]]] = {}
    for found in session.execute(
        select(Person.slack_user_id, Person.id, *(getattr(Person, f) for f in fields)).where(
            Person.team_id == team
        )
    ):
        existing[found[0]] = (found[1], dict(zip(fields, found[2:], strict=True)))
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in parsed.rows:
        values = _person_values(row, columns)
        known = existing.get(row.slack_user_id)
        if known is None:
            new_rows.append(
                {
                    "team_id": team,
                    "slack_user_id": row.slack_user_id,
                    "display_name": row.name,
                    "title": None,
                    "email": None,
                    "department": None,
                    "manager_slack_id": None,
                    "timezone": None,
                    "unreachable": False,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        elif values != known[1]:
            changes.append({"id": known[0], "updated_at": now, **values})
    _insert(session, Person.__table__, new_rows)
    _update(session, Person.__table__, changes)
    return len(new_rows), len(changes)


@dataclass
class _Existing:
    id: int
    values: dict[str, Any]  # the columns an import writes (not updated_at)
    goals: list[tuple[str, int]] = field(default_factory=list)  # (competency, priority)
    expertise: set[str] = field(default_factory=set)

    @property
    def is_mentor(self) -> bool:
        return bool(self.values["is_mentor"])


_PART_FIELDS = (
    "is_mentee",
    "is_mentor",
    "capacity",
    "meeting_format",
    "languages",
    "status",
    "profile_confirmed_at",
)


def _existing_participations(session: Session, program: Program) -> dict[int, _Existing]:
    """person id -> what the program holds about them now."""
    found: dict[int, _Existing] = {}
    by_id: dict[int, _Existing] = {}
    for p in session.execute(
        select(
            Participation.person_id,
            Participation.id,
            *(getattr(Participation, f) for f in _PART_FIELDS),
        ).where(Participation.program_id == program.id)
    ):
        values = dict(zip(_PART_FIELDS, p[2:], strict=True))
        values["languages"] = list(values["languages"] or [])
        found[p[0]] = by_id[p[1]] = _Existing(id=p[1], values=values)
    for pid, competency, priority in session.execute(
        select(Goal.participation_id, Goal.competency_id, Goal.priority)
        .join(Participation, Participation.id == Goal.participation_id)
        .where(Participation.program_id == program.id)
        .order_by(Goal.participation_id, Goal.position)
    ):
        if pid in by_id:
            by_id[pid].goals.append((competency, priority))
    for pid, competency in session.execute(
        select(Expertise.participation_id, Expertise.competency_id)
        .join(Participation, Participation.id == Expertise.participation_id)
        .where(Participation.program_id == program.id)
    ):
        if pid in by_id:
            by_id[pid].expertise.add(competency)
    return found


def _goal_list(goals: Sequence[str]) -> list[tuple[str, int]]:
    """(competency, priority): the file lists goals highest priority first."""
    return [(c, min(position + 1, 3)) for position, c in enumerate(goals)]


def _write_participations(
    session: Session, team: str, program: Program, parsed: ParsedFile, now: datetime
) -> tuple[int, int]:
    """Upsert the program places of rows with roles. (participants, confirmed)"""
    rows = [r for r in parsed.rows if r.roles]
    if not rows:
        return 0, 0
    person_ids: dict[str, int] = {
        slack_id: pid
        for slack_id, pid in session.execute(
            select(Person.slack_user_id, Person.id).where(Person.team_id == team)
        )
    }
    existing = _existing_participations(session, program)
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    # person id -> the goals / expertise to write, for those that change
    goal_plan: dict[int, list[tuple[str, int]]] = {}
    expertise_plan: dict[int, set[str]] = {}
    confirmed = 0
    for row in rows:
        person_id = person_ids[row.slack_user_id]
        old = existing.get(person_id)
        goals, expertise = _competencies_after(row, old, parsed.columns)
        if goals != (old.goals if old else []):
            goal_plan[person_id] = goals
        if expertise != (old.expertise if old else set()):
            expertise_plan[person_id] = expertise
        values = _participation_values(row, old, parsed.columns, goals, expertise, now)
        confirmed += values["status"] == STATUS_ACTIVE
        if old is None:
            new_rows.append(
                {
                    "team_id": team,
                    "program_id": program.id,
                    "person_id": person_id,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        elif values != old.values:
            changes.append({"id": old.id, "updated_at": now, **values})
    _insert(session, Participation.__table__, new_rows)
    _update(session, Participation.__table__, changes)
    if goal_plan or expertise_plan:
        _write_competency_plans(session, team, program, goal_plan, expertise_plan)
    return len(rows), confirmed


def _competencies_after(
    row: PersonRow, old: _Existing | None, columns: frozenset[str]
) -> tuple[list[tuple[str, int]], set[str]]:
    """The goals and expertise a participation has after the import: from the file when it
    has the column, else kept; none for a role the person does not have."""
    old_goals = old.goals if old else []
    old_expertise = old.expertise if old else set()
    goals = _goal_list(row.goals or []) if "goals" in columns else old_goals
    expertise = set(row.expertise or []) if "expertise" in columns else old_expertise
    if "mentee" not in row.roles:
        goals = []
    if "mentor" not in row.roles:
        expertise = set()
    return goals, expertise


def _participation_values(
    row: PersonRow,
    old: _Existing | None,
    columns: frozenset[str],
    goals: list[tuple[str, int]],
    expertise: set[str],
    now: datetime,
) -> dict[str, Any]:
    """The participation columns the import writes; active once its profile is complete."""
    mentee, mentor = "mentee" in row.roles, "mentor" in row.roles
    complete = (not mentee or bool(goals)) and (not mentor or bool(expertise))
    if not mentor:
        capacity = 0
    elif row.capacity is not None:
        capacity = row.capacity
    else:
        capacity = int(old.values["capacity"]) if old and old.is_mentor else 1
    old_values = old.values if old else {}
    return {
        "is_mentee": mentee,
        "is_mentor": mentor,
        "capacity": capacity,
        "meeting_format": (
            row.meeting_format if "meeting_format" in columns else old_values.get("meeting_format")
        )
        or "either",
        "languages": row.languages
        if row.languages is not None
        else old_values.get("languages", []),
        "status": STATUS_ACTIVE if complete else STATUS_ONBOARDING,
        "profile_confirmed_at": (old_values.get("profile_confirmed_at") or now)
        if complete
        else None,
    }


def _write_competency_plans(
    session: Session,
    team: str,
    program: Program,
    goal_plan: Mapping[int, list[tuple[str, int]]],
    expertise_plan: Mapping[int, set[str]],
) -> None:
    """Write the changed goals and expertise (keyed by person) to their participations."""
    part_ids: dict[int, int] = {
        person_id: pid
        for person_id, pid in session.execute(
            select(Participation.person_id, Participation.id).where(
                Participation.program_id == program.id
            )
        )
    }
    _write_goals(session, team, {part_ids[p]: g for p, g in goal_plan.items()})
    _write_expertise(session, team, {part_ids[p]: e for p, e in expertise_plan.items()})


def _write_goals(session: Session, team: str, plan: Mapping[int, list[tuple[str, int]]]) -> None:
    """Replace the goals of these participations, keeping a person's own "what success
    looks like" words for a goal they keep."""
    if not plan:
        return
    kept: dict[tuple[int, str], str | None] = {}
    for chunk in _chunks(list(plan)):
        for pid, competency, success in session.execute(
            select(Goal.participation_id, Goal.competency_id, Goal.success).where(
                Goal.participation_id.in_(chunk)
            )
        ):
            kept[(pid, competency)] = success
        session.execute(delete(Goal).where(Goal.participation_id.in_(chunk)))
    _insert(
        session,
        Goal.__table__,
        [
            {
                "team_id": team,
                "participation_id": pid,
                "competency_id": competency,
                "success": kept.get((pid, competency)),
                "priority": priority,
                "position": position,
            }
            for pid, goals in plan.items()
            for position, (competency, priority) in enumerate(goals)
        ],
    )


def _write_expertise(session: Session, team: str, plan: Mapping[int, set[str]]) -> None:
    if not plan:
        return
    for chunk in _chunks(list(plan)):
        session.execute(delete(Expertise).where(Expertise.participation_id.in_(chunk)))
    _insert(
        session,
        Expertise.__table__,
        [
            {"team_id": team, "participation_id": pid, "competency_id": competency}
            for pid, areas in plan.items()
            for competency in sorted(areas)
        ],
    )
