"""Where each person is in the default program, read from the bot's database for the page's
people list: their stage, whether they are paired or waiting on a request, and coordinators."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.coordination.service import coordinator_ids
from core.matchmaking.models import PAIR_ACTIVE, REQUEST_PENDING, MentorRequest, Pair
from core.people.models import STATUS_LEFT, Participation, Person
from core.programs.models import Program


def program_stages(session: Session, team_id: str) -> dict[str, dict[str, Any]]:
    """Program status per Slack user id (empty when the team has no default program)."""
    out: dict[str, dict[str, Any]] = {}
    program = session.scalars(
        select(Program).where(Program.team_id == team_id, Program.is_default)
    ).first()
    if program is None:
        return out
    rows = session.execute(
        select(Person.slack_user_id, Participation)
        .join(Participation, Participation.person_id == Person.id)
        .where(Participation.program_id == program.id)
    ).all()
    by_participation = {p.id: uid for uid, p in rows}
    paired = _paired(session, program, by_participation)
    waiting = _waiting(session, program, by_participation)
    for uid, participation in rows:
        out[uid] = {
            "stage": _stage(participation),
            "paired": uid in paired,
            "request_pending": uid in waiting,
        }
    for uid in _coordinators(session, program):
        out.setdefault(uid, {"stage": "not joined"})["coordinator"] = True
    return out


def _coordinators(session: Session, program: Program) -> set[str]:
    """The program's coordinators: the coordinators table is the one source of who
    coordinates (the `coordinators` setting is only a contact name)."""
    return set(coordinator_ids(session, program.id))


def _user_ids(by_participation: dict[Any, str], participation_ids: Iterable[Any]) -> set[str]:
    return {by_participation.get(i, "") for i in participation_ids}


def _paired(session: Session, program: Program, by_participation: dict[Any, str]) -> set[str]:
    paired: set[str] = set()
    for pair in session.scalars(
        select(Pair).where(Pair.program_id == program.id, Pair.status == PAIR_ACTIVE)
    ):
        paired |= _user_ids(by_participation, (pair.mentee_id, pair.mentor_id))
    return paired


def _waiting(session: Session, program: Program, by_participation: dict[Any, str]) -> set[str]:
    waiting: set[str] = set()
    for request in session.scalars(
        select(MentorRequest).where(
            MentorRequest.program_id == program.id,
            MentorRequest.status == REQUEST_PENDING,
        )
    ):
        waiting |= _user_ids(by_participation, (request.mentee_id, request.mentor_id))
    return waiting


def _stage(participation: Participation) -> Any:
    if participation.status == STATUS_LEFT:
        return "left"
    if not participation.confirmed:
        return "setting up"
    return participation.roles
