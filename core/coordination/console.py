"""The coordinator console's use cases: who may act on which program (authorisation), the
coordinators of a program, programs themselves and their settings.

Each use case opens its own transaction and returns an outcome for the Slack side to render.
Authorisation is decided here, from the database, at the moment a command or click arrives: a
person who is not (or no longer) a coordinator of the program is refused, and the refusal is
audited. Successful actions are audited in the same transaction as the change they make.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from core.coordination import reports
from core.coordination import service as co
from core.coordination.models import OUTCOME_DENIED, OUTCOME_OK
from core.kernel.clock import Clock
from core.kernel.db import Database
from core.people.directory import SlackProfile, find_person, upsert_person
from core.privacy.service import Shown, mask, program_k
from core.programs.models import Program
from core.programs.service import default_program, program_settings
from core.programs.settings import ProgramSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ProgramRef:
    """A program, as known outside a transaction."""

    id: int
    name: str
    team_id: str


def ref(program: Program) -> ProgramRef:
    return ProgramRef(program.id, program.name, program.team_id)


def row(session: Session, program: ProgramRef) -> Program:
    found = session.get(Program, program.id)
    assert found is not None
    return found


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a change came to: its `value`, or the `problem` the domain refused it with (the
    change was rolled back)."""

    value: T | None = None
    problem: co.CoordinationError | None = None


def audit(
    session: Session,
    clock: Clock,
    program: ProgramRef,
    user_id: str,
    action: str,
    targets: Iterable[str] = (),
    outcome: str = OUTCOME_OK,
) -> None:
    co.record(
        session,
        team_id=program.team_id,
        program_id=program.id,
        actor=user_id,
        action=action,
        outcome=outcome,
        targets=list(targets),
        clock=clock,
    )


def deny(
    session: Session, clock: Clock, team_id: str, user_id: str, action: str, program: Program | None
) -> None:
    """Audit a refused attempt (against the default program when none was named)."""
    if program is None:
        program = default_program(session, team_id, clock)
    co.record(
        session,
        team_id=team_id,
        program_id=program.id,
        actor=user_id,
        action=action,
        outcome=OUTCOME_DENIED,
        clock=clock,
    )
    logger.info("refused %s for %s: not a coordinator of program %s", action, user_id, program.id)


# --- authorisation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """The program a command may act on; else `refused` (audited; `refused_program` is the
    program named in the refusal, if any) or a `problem` (an unknown or ambiguous program)."""

    program: ProgramRef | None = None
    refused: bool = False
    refused_program: str | None = None
    problem: co.CoordinationError | None = None


def authorize(
    db: Database, clock: Clock, team_id: str, user_id: str, action: str, program_name: str | None
) -> Access:
    """A command names a program (or none: the only one the person coordinates); the person
    must coordinate it now."""
    with db.transaction() as session:
        try:
            program = co.resolve_program(session, team_id, user_id, program_name, clock)
            return Access(program=ref(program))
        except co.NotCoordinator as exc:
            named = co.find_program(session, team_id, program_name) if program_name else None
            deny(session, clock, team_id, user_id, action, named)
            return Access(refused=True, refused_program=exc.context.get("program"))
        except co.CoordinationError as exc:
            return Access(problem=exc)


def authorize_click(
    db: Database, clock: Clock, team_id: str, user_id: str, program_id: Any, action: str
) -> ProgramRef | None:
    """A button or modal names a program: the clicker must coordinate it now (else the
    refusal is audited and None)."""
    with db.transaction() as session:
        program = session.get(Program, program_id) if isinstance(program_id, int) else None
        if program is not None and program.team_id != team_id:
            program = None
        if program is not None and co.is_coordinator(session, program.id, user_id):
            return ref(program)
        deny(session, clock, team_id, user_id, action, program)
    return None


def refuse(db: Database, clock: Clock, team_id: str, user_id: str, action: str) -> None:
    """Audit a refusal decided outside a transaction (against the default program)."""
    with db.transaction() as session:
        deny(session, clock, team_id, user_id, action, None)


def learn_profile(
    db: Database, clock: Clock, team_id: str, user_id: str, profile: SlackProfile | None
) -> None:
    """Store what Slack told about a person (a coordinator's time zone, for the digest); a
    person Slack could not tell about is still recorded once."""
    with db.transaction() as session:
        if profile is not None or find_person(session, team_id, user_id) is None:
            upsert_person(session, team_id, profile, user_id, clock)


# --- coordinators ---------------------------------------------------------------------------


def list_coordinators(db: Database, clock: Clock, program: ProgramRef, user_id: str) -> list[str]:
    with db.transaction() as session:
        people = co.coordinator_ids(session, program.id)
        audit(session, clock, program, user_id, "coordinators.list")
    return people


@dataclass(frozen=True)
class AddTarget:
    """The program a coordinator is to be added to, and whether it has none yet (then a
    workspace admin may add the first one)."""

    program: ProgramRef | None = None
    bootstrap: bool = False
    problem: co.CoordinationError | None = None


def _target_program(
    session: Session, clock: Clock, team_id: str, user_id: str, name: str | None
) -> Program:
    if name:
        program = co.find_program(session, team_id, name)
        if program is None:
            raise co.CoordinationError("unknown_program", name=name)
        return program
    mine = co.coordinated_programs(session, team_id, user_id)
    if len(mine) > 1:
        raise co.CoordinationError("which_program", names=[p.name for p in mine])
    return mine[0] if mine else default_program(session, team_id, clock)


def add_target(
    db: Database, clock: Clock, team_id: str, user_id: str, program_name: str | None
) -> AddTarget:
    """The program `coordinators add` acts on: the one named, else the person's only one,
    else the default program."""
    try:
        with db.transaction() as session:
            program = ref(_target_program(session, clock, team_id, user_id, program_name))
            already = co.is_coordinator(session, program.id, user_id)
            bootstrap = not already and not co.coordinator_ids(session, program.id)
    except co.CoordinationError as exc:
        return AddTarget(problem=exc)
    return AddTarget(program=program, bootstrap=bootstrap)


def add_coordinator(
    db: Database,
    clock: Clock,
    program: ProgramRef,
    user_id: str,
    target: str,
    *,
    workspace_admin: bool,
) -> str:
    """ "refused" (audited), "added" or "already" (the target was a coordinator)."""
    with db.transaction() as session:
        found = row(session, program)
        if not co.may_add_coordinator(session, found, user_id, workspace_admin=workspace_admin):
            deny(session, clock, program.team_id, user_id, "coordinators.add", found)
            return "refused"
        added = co.add_coordinator(session, found, target, by=user_id, clock=clock)
        audit(session, clock, program, user_id, "coordinators.add", [target])
    return "added" if added else "already"


def remove_coordinator(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, target: str
) -> Outcome[bool]:
    """Whether the target was a coordinator (and is no more); the last one stays."""
    try:
        with db.transaction() as session:
            removed = co.remove_coordinator(session, row(session, program), target)
            audit(session, clock, program, user_id, "coordinators.remove", [target])
    except co.CoordinationError as exc:
        return Outcome(problem=exc)
    return Outcome(removed)


# --- programs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateAccess:
    """Whether the person coordinates a program (then may create one), or the workspace has no
    coordinator at all (then a workspace admin may)."""

    coordinator: bool
    bootstrap: bool


def create_access(db: Database, team_id: str, user_id: str) -> CreateAccess:
    with db.transaction() as session:
        coordinator = bool(co.coordinated_programs(session, team_id, user_id))
        bootstrap = not coordinator and not co.workspace_has_coordinators(session, team_id)
    return CreateAccess(coordinator, bootstrap)


def create_program(
    db: Database, clock: Clock, team_id: str, user_id: str, name: str
) -> Outcome[ProgramRef]:
    """Create a program; its creator becomes its first coordinator."""
    try:
        with db.transaction() as session:
            program = co.create_program(session, team_id, name, by=user_id, clock=clock)
            created = ref(program)
            audit(session, clock, created, user_id, "program.create", [f"program:{program.id}"])
    except co.CoordinationError as exc:
        return Outcome(problem=exc)
    return Outcome(created)


@dataclass(frozen=True)
class ProgramSummary:
    id: int
    name: str
    is_default: bool
    coordinators: list[str]
    participants: Shown | None  # None: not one of this coordinator's programs
    mine: bool


def _summary(session: Session, clock: Clock, program: Program, mine: set[int]) -> ProgramSummary:
    # Another program's figures are its coordinators' business: only its name and who runs
    # it are listed.
    participants = None
    if program.id in mine:
        k = program_k(program_settings(program))
        participants = mask(reports.counts(session, program, clock).participants, k)
    return ProgramSummary(
        id=program.id,
        name=program.name,
        is_default=program.is_default,
        coordinators=co.coordinator_ids(session, program.id),
        participants=participants,
        mine=program.id in mine,
    )


def list_programs(
    db: Database, clock: Clock, team_id: str, user_id: str
) -> list[ProgramSummary] | None:
    """The workspace's programs, for a coordinator (None: refused, audited)."""
    with db.transaction() as session:
        mine = {p.id for p in co.coordinated_programs(session, team_id, user_id)}
        if not mine:
            deny(session, clock, team_id, user_id, "program.list", None)
            return None
        rows = [_summary(session, clock, p, mine) for p in co.list_programs(session, team_id)]
        first = session.get(Program, min(mine))
        assert first is not None
        audit(session, clock, ref(first), user_id, "program.list")
    return rows


def settings_of(db: Database, program: ProgramRef) -> ProgramSettings:
    with db.transaction() as session:
        return program_settings(session.get(Program, program.id))


def save_settings(
    db: Database, clock: Clock, program: ProgramRef, user_id: str, clean: dict[str, Any]
) -> None:
    """Store settings already checked by `co.validate_settings`."""
    with db.transaction() as session:
        co.save_settings(session, row(session, program), clean)
        audit(session, clock, program, user_id, "program.settings", [f"program:{program.id}"])
