"""Tables of coordinator messages to many people: announcements and invitations with one
delivery row per recipient, and the weekly digest's deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, ProgramFk, TeamFk

# Delivery ledger statuses
DELIVERY_PENDING = "pending"
DELIVERY_SENDING = "sending"
DELIVERY_SENT = "sent"
DELIVERY_FAILED = "failed"  # unreachable, or Slack refused for good
DELIVERY_SKIPPED = "skipped"  # no longer a participant, already joined, ...

# Announcement kinds
KIND_ANNOUNCE = "announce"
KIND_INVITE = "invite"


class Announcement(Base):
    """A message from coordinators to the participants of a program (or an invitation to
    join it). Sent paced, once per recipient, through `AnnouncementDelivery`."""

    __tablename__ = "announcements"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    kind: Mapped[str] = mapped_column(String(16), default=KIND_ANNOUNCE)
    # The coordinator's message (announcements only; invitations use the stored template).
    body: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class AnnouncementDelivery(Base):
    """The delivery ledger: one row per (program, announcement, recipient), claimed with a
    conditional update before sending, so nobody gets the same message twice."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (UniqueConstraint("program_id", "announcement_id", "slack_user_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=DELIVERY_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


Index(
    "ix_announcement_deliveries_status",
    AnnouncementDelivery.team_id,
    AnnouncementDelivery.status,
)


class DigestDelivery(Base):
    """The weekly digest ledger: one row per (program, coordinator, ISO week)."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("program_id", "slack_user_id", "week"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week, "2026-W10"
    status: Mapped[str] = mapped_column(String(16), default=DELIVERY_SENDING)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
