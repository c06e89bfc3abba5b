"""Reading and checking a people CSV for the import (core/people/importer.py). No database
writes: the rows, and every problem as ``line N: column: problem``.

Each column has its check (Slack ids, text limits, roles, competencies against the taxonomy,
capacity against the program's settings, time zones, languages, meeting format); a file that
cannot be read at all (encoding, CSV syntax, header) fails at once. Reporting cycles are found
across the file and the people already in the workspace.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.kernel.texts import clean_text
from core.people.models import MEETING_FORMATS, Person
from core.people.profiles import MAX_EXPERTISE, languages, taxonomy
from core.programs.service import program_settings
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
TEXT_LIMITS = {"name": 200, "email": 320, "department": 200, "title": 200}
FILE = "(file)"
ROW = "(row)"

_SLACK_ID = re.compile(r"^[A-Z0-9][A-Z0-9_]{1,31}$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


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
    """The file as text, cleaned once for every cell: no NUL or other control characters but
    newline and tab, no bidi override/isolate controls (`clean_text`), as for Slack input."""
    try:
        return clean_text(data.decode("utf-8-sig"))
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
    parsed, problems = parse_rows(data, settings or program_settings(None))
    if problems:
        raise ImportFailed(problems)
    return parsed


def parse_rows(data: bytes, settings: ProgramSettings) -> tuple[ParsedFile, list[ImportProblem]]:
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


def cycle_problems(session: Session, team_id: str, parsed: ParsedFile) -> list[ImportProblem]:
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
