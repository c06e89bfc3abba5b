"""Who coordinates a program, changed from outside Slack (`mentorbot coordinators`): a use
case that opens its own transaction. From the command line the last coordinator may be
removed (Slack keeps at least one), and every change is recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.coordination.service import (
    CLI_ACTOR,
    add_coordinator,
    coordinator_ids,
    find_program,
    record,
    remove_coordinator,
)
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.programs.models import Program
from core.programs.service import default_program

ACTIONS = ("list", "add", "remove")


@dataclass(frozen=True)
class RosterOutcome:
    """`status` "done", or "no_program" (no program has that name; `known` lists the
    workspace's programs). `program` is the program's name, `coordinators` its coordinators
    (for "list"), `changed` whether "add"/"remove" changed anything."""

    status: str
    program: str = ""
    changed: bool = False
    coordinators: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)


def _program(session: Session, team_id: str, name: str | None, clock: Clock) -> Program | None:
    if name:
        return find_program(session, team_id, name)
    return default_program(session, team_id, clock)


def change_roster(
    db: Database,
    *,
    team_id: str,
    program_name: str | None,
    action: str,
    user_id: str | None,
    clock: Clock,
) -> RosterOutcome:
    """List, add or remove (`action`) a coordinator of the named program (default: the
    workspace's default program). Raises `CoordinationError` when the change is refused."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    with db.transaction() as session:
        program = _program(session, team_id, program_name, clock)
        if program is None:
            known = session.scalars(select(Program.name).where(Program.team_id == team_id))
            return RosterOutcome("no_program", known=list(known))
        if action == "list":
            people = coordinator_ids(session, program.id)
            return RosterOutcome("done", program.name, coordinators=people)
        assert user_id is not None
        if action == "add":
            changed = add_coordinator(session, program, user_id, by=CLI_ACTOR, clock=clock)
        else:
            changed = remove_coordinator(session, program, user_id, keep_one=False)
        if changed:
            record(
                session,
                team_id=team_id,
                program_id=program.id,
                actor=CLI_ACTOR,
                action=f"coordinators.{action}",
                targets=[user_id],
                clock=clock,
            )
        return RosterOutcome("done", program.name, changed=changed)
