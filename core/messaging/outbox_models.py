"""The table of coordinator messages to many people: what a coordinator announced (or whom
they invited). Each recipient's message is a row of the delivery ledger (`deliveries`, kinds
`announcement` and `invitation`) that names the announcement by id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, ProgramFk, TeamFk

# Announcement kinds
KIND_ANNOUNCE = "announce"
KIND_INVITE = "invite"


class Announcement(Base):
    """A message from coordinators to the participants of a program (or an invitation to
    join it). Sent paced, once per recipient, through the delivery ledger."""

    __tablename__ = "announcements"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    kind: Mapped[str] = mapped_column(String(16), default=KIND_ANNOUNCE)
    # The coordinator's message (announcements only; invitations use the stored template).
    body: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
