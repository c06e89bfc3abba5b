"""Test data for matching: people imported through the public import service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.people.importer import ImportResult, import_people
from core.people.models import Expertise, Goal, Participation, Person
from core.programs.models import Program, Workspace

TEAM = "T0001"  # the fake Slack's workspace

HEADER = (
    "slack_user_id,name,manager,department,title,roles,goals,expertise,capacity,timezone,"
    "languages,meeting_format\n"
)

# Ana wants public speaking (top) and stakeholder management. Cy covers both, Ben covers the
# top goal only, Bea (Ana's manager) covers both but is in her reporting line.
PEOPLE = HEADER + (
    "U_BEA,Bea Boss,,Engineering,Director,mentor,,public-speaking;stakeholder-management,2,"
    "Europe/London,en,either\n"
    "U_ANA,Ana Lima,U_BEA,Engineering,Engineer,mentee,public-speaking;stakeholder-management,,,"
    "Europe/Lisbon,en;pt,remote\n"
    "U_CY,Cy Tan,,Operations,Ops lead,mentor,,stakeholder-management;public-speaking,1,"
    "Europe/Berlin,en,either\n"
    "U_BEN,Ben Okafor,,Sales,Sales lead,mentor,,public-speaking,1,Europe/London,en,remote\n"
)

MENTORS_ONLY = HEADER + (
    "U_CY,Cy Tan,,Operations,Ops lead,mentor,,stakeholder-management;public-speaking,1,"
    "Europe/Berlin,en,either\n"
    "U_BEN,Ben Okafor,,Sales,Sales lead,mentor,,public-speaking,1,Europe/London,en,remote\n"
)


def seed(db: Database, clock: Clock, csv_text: str, team: str = TEAM) -> ImportResult:
    with db.transaction() as session:
        return import_people(
            session, csv_text.encode("utf-8"), team_id=team, program_name=None, clock=clock
        )


def pid(db: Database, user_id: str, team: str = TEAM) -> int:
    """The participation id of a person in their (only) program."""
    with db.transaction() as session:
        return session.scalars(
            select(Participation.id)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.team_id == team, Person.slack_user_id == user_id)
        ).one()


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes, for before/after comparisons."""
    tables: dict[str, list[Any]] = {
        "workspaces": [Workspace.team_id],
        "programs": [Program.id, Program.name],
        "people": [
            Person.slack_user_id,
            Person.display_name,
            Person.manager_slack_id,
            Person.title,
            Person.department,
            Person.timezone,
            Person.email,
        ],
        "participations": [
            Participation.person_id,
            Participation.is_mentee,
            Participation.is_mentor,
            Participation.capacity,
            Participation.status,
            Participation.meeting_format,
            Participation.languages,
        ],
        "goals": [Goal.participation_id, Goal.competency_id, Goal.priority, Goal.success],
        "expertise": [Expertise.participation_id, Expertise.competency_id],
    }
    with db.transaction() as session:
        return {
            name: sorted(tuple(map(repr, row)) for row in session.execute(select(*cols)))
            for name, cols in tables.items()
        }
