"""Leaving, being forgotten and seeing one's own data, as use cases (one transaction each).

The rule they keep: leaving and being forgotten are confirmed with a button first, and that
button acts only on the data of the person who clicks it (the caller passes the clicker's
own ids, taken from the click, never from the message) and expires after a day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from core.kernel.clock import Clock
from core.kernel.db import Database
from core.people.directory import find_person
from core.privacy.service import Ending, MyData, forget_me, leave, my_data
from core.programs.service import program_in_workspace, taking_part

CONFIRM_VALID_SECONDS = 24 * 3600


def confirmation(clock: Clock, program_id: int | None = None) -> str:
    """A confirmation button's value: when it was issued, and the program it leaves
    (none: every program)."""
    token: dict[str, int] = {"t": int(clock.now().timestamp())}
    if program_id is not None:
        token["p"] = program_id
    return json.dumps(token)


def _decoded(value: str | None) -> dict[str, Any]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def is_fresh(value: str | None, clock: Clock) -> bool:
    """Is a confirmation button (its value) still good: issued at most a day ago?"""
    try:
        issued = int(json.loads(value or "{}").get("t"))
    except (TypeError, ValueError, AttributeError):
        return False
    age = clock.now().timestamp() - issued
    return 0 <= age <= CONFIRM_VALID_SECONDS


@dataclass(frozen=True)
class LeaveQuestion:
    """How to ask `/mentoring leave [--program NAME]`: `not_yours` (the named program is not
    one of `programs`), `program` (confirm leaving `program` with `token`), `choose` (one
    button per program in `choices`, and `token` for all of them) or `confirm` (`token`)."""

    status: Literal["not_yours", "program", "choose", "confirm"]
    token: str = ""
    program: str | None = None
    programs: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)


def ask_leave(
    db: Database, team_id: str, user_id: str, name: str | None, clock: Clock
) -> LeaveQuestion:
    """Someone in one program leaves it; someone in several confirms with the button of the
    program to leave, or of all of them (a named program asks about that one only)."""
    with db.transaction() as session:
        mine = [
            (p.id, p.name) for p in taking_part(session, find_person(session, team_id, user_id))
        ]
    if name is not None:
        chosen = next((p for p in mine if p[1].lower() == name.lower()), None)
        if chosen is None:
            return LeaveQuestion("not_yours", programs=[n for _, n in mine])
        return LeaveQuestion("program", confirmation(clock, chosen[0]), program=chosen[1])
    if len(mine) > 1:
        choices = [(n, confirmation(clock, pid)) for pid, n in mine]
        return LeaveQuestion("choose", confirmation(clock), choices=choices)
    return LeaveQuestion("confirm", confirmation(clock))


@dataclass(frozen=True)
class LeaveOutcome:
    """A pressed leave confirmation: `expired`, `not_in_program` (nothing to leave), `left`
    (every program, or the last one) or `left_program` (one of several: `still_in`)."""

    status: Literal["expired", "not_in_program", "left", "left_program"]
    ending: Ending | None = None
    still_in: list[str] = field(default_factory=list)


def confirm_leave(
    db: Database, team_id: str, user_id: str, value: str | None, clock: Clock
) -> LeaveOutcome:
    """Leave the program the button names (only one of the clicker's workspace, and only the
    clicker's own participation), or every program, if the button is still fresh."""
    if not is_fresh(value, clock):
        return LeaveOutcome("expired")
    program_id = _decoded(value).get("p")
    with db.transaction() as session:
        if program_id is not None:
            program = program_in_workspace(session, team_id, program_id)
            ending = (
                leave(session, team_id, user_id, clock, program_id=program.id)
                if program is not None
                else None
            )
        else:
            ending = leave(session, team_id, user_id, clock)
        still_in = [p.name for p in taking_part(session, find_person(session, team_id, user_id))]
    if ending is None:
        return LeaveOutcome("not_in_program")
    if program_id is None or not still_in:
        return LeaveOutcome("left", ending, still_in)
    return LeaveOutcome("left_program", ending, still_in)


@dataclass(frozen=True)
class ForgetOutcome:
    """A pressed forget-me confirmation: `expired`, or `forgotten` (who to tell: `ending`)."""

    status: Literal["expired", "forgotten"]
    ending: Ending | None = None


def confirm_forget(
    db: Database, team_id: str, user_id: str, value: str | None, clock: Clock
) -> ForgetOutcome:
    """Delete the clicker's own data, if the button is still fresh."""
    if not is_fresh(value, clock):
        return ForgetOutcome("expired")
    with db.transaction() as session:
        ending = forget_me(session, team_id, user_id, clock)
    return ForgetOutcome("forgotten", ending)


def my_data_of(db: Database, team_id: str, user_id: str) -> MyData:
    """Everything stored about the person asking (and only them)."""
    with db.transaction() as session:
        return my_data(session, team_id, user_id)
