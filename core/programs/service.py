"""Workspaces and programs, and the settings each program runs with."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, object_session

from core.kernel.clock import Clock
from core.kernel.db import insert_if_new
from core.kernel.paths import content_dir
from core.people.models import STATUS_LEFT, Person
from core.programs.models import Program, Workspace
from core.programs.settings import ProgramSettings


@lru_cache(maxsize=1)
def program_defaults() -> dict[str, Any]:
    """Program settings defaults from `content/program_defaults.yaml`."""
    path = content_dir() / "program_defaults.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return dict(data or {})


@lru_cache(maxsize=1)
def default_settings() -> ProgramSettings:
    """The settings a program without overrides runs with (checked once)."""
    return ProgramSettings.build(program_defaults())


def program_settings(program: Program | None) -> ProgramSettings:
    """The effective settings of a program: its overrides on top of the defaults.

    `coordinators` is who people are told they can reach: the program's coordinators from
    the coordinators table (the one source of who coordinates), or, while the program has
    none, the `coordinators` setting as a plain contact (it grants no rights and receives
    nothing)."""
    settings = default_settings()
    if program is not None:
        settings = settings.with_stored({**(program.settings or {}), "name": program.name})
        registered = _registered_coordinators(program)
        if registered:
            settings = replace(settings, coordinators=registered)
    return settings


def _registered_coordinators(program: Program) -> tuple[str, ...]:
    session = object_session(program)
    if session is None or program.id is None:
        return ()
    from core.coordination.service import coordinator_ids  # coordination builds on programs

    return tuple(coordinator_ids(session, program.id))


def add_workspace_if_new(
    session: Session, team_id: str, installed_at: datetime, *, name: str | None = None
) -> bool:
    """INSERT ... ON CONFLICT (team_id) DO NOTHING, on PostgreSQL or SQLite: True if this
    call added the workspace, False when it was already there (or a concurrent first request
    added it first, in which case this waits for that one and never fails)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Workspace)
    result = session.execute(
        insert.values(team_id=team_id, name=name, installed_at=installed_at)
        .on_conflict_do_nothing(index_elements=["team_id"])
        .returning(Workspace.team_id)
    )
    return result.scalar() is not None


def ensure_workspace(
    session: Session, team_id: str, clock: Clock, *, name: str | None = None
) -> Workspace:
    """The workspace's row, added on first use. Race-free: the first requests of a new
    workspace may arrive at once, in several threads or processes."""
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        add_workspace_if_new(session, team_id, clock.now(), name=name)
        workspace = session.get(Workspace, team_id, populate_existing=True)
        assert workspace is not None  # added above or by a concurrent request
    if name and workspace.name != name:
        workspace.name = name
    return workspace


def default_program(session: Session, team_id: str, clock: Clock) -> Program:
    """The workspace's default program, created on first use (race-free, like the workspace:
    a concurrent first request's insert wins and this one reads it)."""
    ensure_workspace(session, team_id, clock)
    found = select(Program).where(Program.team_id == team_id, Program.is_default.is_(True))
    program = session.scalars(found).first()
    if program is None:
        name = default_settings().name
        insert_if_new(
            session,
            Program,
            ("team_id", "name"),
            team_id=team_id,
            name=name,
            is_default=True,
            settings={},
            created_at=clock.now(),
        )
        program = session.scalars(found.execution_options(populate_existing=True)).first()
    if program is None:  # a program that is not the default already has the default's name
        raise LookupError(f"workspace {team_id} has no default program and cannot add one")
    return program


def workspace_programs(session: Session, team_id: str) -> list[Program]:
    """Every program of the workspace, the default first, then by name."""
    return list(
        session.scalars(
            select(Program)
            .where(Program.team_id == team_id)
            .order_by(Program.is_default.desc(), Program.name, Program.id)
        )
    )


def program_in_workspace(session: Session, team_id: str, program_id: object) -> Program | None:
    """The program with this id if it belongs to the workspace (ids from a button value are
    checked here: a program of another workspace, or a malformed id, is None)."""
    if not isinstance(program_id, int) or isinstance(program_id, bool):
        return None
    program = session.get(Program, program_id)
    return program if program is not None and program.team_id == team_id else None


def program_named(session: Session, team_id: str, name: object) -> Program | None:
    """The workspace's program with this name (case-insensitive), else None."""
    if not isinstance(name, str) or not name.strip():
        return None
    wanted = name.strip().lower()
    return next((p for p in workspace_programs(session, team_id) if p.name.lower() == wanted), None)


def taking_part(session: Session, person: Person | None) -> list[Program]:
    """The programs someone takes part in (has not left), the default first, then by name."""
    if person is None:
        return []
    programs = [p.program for p in person.participations if p.status != STATUS_LEFT]
    return sorted(programs, key=lambda p: (not p.is_default, p.name, p.id))


def person_program(session: Session, team_id: str, person: Person | None, clock: Clock) -> Program:
    """The program someone's own questions are about: the one they take part in when there
    is exactly one, else the workspace's default program."""
    mine = taking_part(session, person)
    if len(mine) == 1:
        return mine[0]
    return default_program(session, team_id, clock)
