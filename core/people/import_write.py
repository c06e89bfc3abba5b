"""Writing a checked people import (core/people/importer.py): people, their program places,
goals and expertise, with bulk Core statements in the caller's transaction.

Only the columns the file has are written; a row whose values did not change is not updated.
Goals keep the "what success looks like" words a person already gave for the same goal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from core.people.import_rows import ParsedFile, PersonRow
from core.people.models import (
    STATUS_ACTIVE,
    STATUS_ONBOARDING,
    Expertise,
    Goal,
    Participation,
    Person,
)
from core.programs.models import Program

# CSV column -> Person attribute, for the plain person fields.
PERSON_FIELDS = {
    "name": "display_name",
    "email": "email",
    "manager": "manager_slack_id",
    "department": "department",
    "title": "title",
    "timezone": "timezone",
}
CHUNK = 500  # ids per IN (...) list

_T = TypeVar("_T")


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


def _person_values(row: PersonRow, columns: Iterable[str]) -> dict[str, Any]:
    return {PERSON_FIELDS[c]: row.value(c) for c in columns}


def write_people(session: Session, team: str, parsed: ParsedFile, now: datetime) -> tuple[int, int]:
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


def write_participations(
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
