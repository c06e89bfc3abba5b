"""The onboarding conversation's persisted state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, PersonFk, ProgramFk, TeamFk


class Conversation(Base):
    """A guided conversation's persisted state (onboarding today).

    `version` grows by one on every transition; buttons carry the version they were drawn for,
    so a stale or repeated click is recognised by a conditional update that matches no row.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("person_id", "program_id", "kind"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    person_id: Mapped[PersonFk]
    program_id: Mapped[ProgramFk]
    kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Where the current prompt was posted, so it can be updated once answered.
    prompt_channel: Mapped[str | None] = mapped_column(String(32))
    prompt_ts: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
