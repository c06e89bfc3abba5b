"""Workspaces and programs, and the settings each program runs with."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.models import Program, Workspace
from core.paths import content_dir

DEFAULT_PROGRAM_NAME = "Mentoring program"


@lru_cache(maxsize=1)
def program_defaults() -> dict[str, Any]:
    """Program settings defaults from `content/program_defaults.yaml`."""
    path = content_dir() / "program_defaults.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return dict(data or {})


def program_settings(program: Program | None) -> dict[str, Any]:
    """The effective settings of a program: its overrides on top of the defaults."""
    settings = dict(program_defaults())
    if program is not None:
        settings.update(program.settings or {})
        settings["name"] = program.name
    return settings


def ensure_workspace(
    session: Session, team_id: str, clock: Clock, *, name: str | None = None
) -> Workspace:
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        workspace = Workspace(team_id=team_id, name=name, installed_at=clock.now())
        session.add(workspace)
        session.flush()
    elif name and workspace.name != name:
        workspace.name = name
    return workspace


def default_program(session: Session, team_id: str, clock: Clock) -> Program:
    """The workspace's default program, created on first use."""
    ensure_workspace(session, team_id, clock)
    program = session.scalars(
        select(Program).where(Program.team_id == team_id, Program.is_default.is_(True))
    ).first()
    if program is None:
        name = program_defaults().get("name") or DEFAULT_PROGRAM_NAME
        program = Program(
            team_id=team_id, name=str(name), is_default=True, settings={}, created_at=clock.now()
        )
        session.add(program)
        session.flush()
    return program
