"""Tables of workspaces and the programs they run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, TeamFk


class Workspace(Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime]
    uninstalled_at: Mapped[datetime | None]


class Program(Base):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    name: Mapped[str] = mapped_column(String(80))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Overrides of content/program_defaults.yaml; only keys that differ are stored.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
