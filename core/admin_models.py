"""Tables of the coordinator console: who coordinates which program, the audit log, the
announcement/invitation ledger, daily snapshots for reports and the weekly digest ledger.

Every table carries the workspace (team) id, so a workspace purge removes it all. None of them
holds goal, agreement or check-in text: the audit log keeps ids and fixed action names only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, IntPk, ProgramFk, TeamFk

# Delivery ledger statuses
DELIVERY_PENDING = "pending"
DELIVERY_SENDING = "sending"
DELIVERY_SENT = "sent"
DELIVERY_FAILED = "failed"  # unreachable, or Slack refused for good
DELIVERY_SKIPPED = "skipped"  # no longer a participant, already joined, ...

# Announcement kinds
KIND_ANNOUNCE = "announce"
KIND_INVITE = "invite"

# Audit outcomes
OUTCOME_OK = "ok"
OUTCOME_DENIED = "denied"  # not a coordinator of the program
OUTCOME_REFUSED = "refused"  # authorised, but the request broke a rule (reporting line, ...)


class Coordinator(Base):
    """A person who coordinates one program. Coordinators of one program cannot act on
    another; there is no workspace-wide role."""

    __tablename__ = "coordinators"
    __table_args__ = (UniqueConstraint("program_id", "slack_user_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    # Who added them: a Slack user id, or "cli" for the command line.
    added_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """One coordinator action (or refused attempt): who, what, when, program, target ids.

    No free text: `action` is a fixed name ("stats", "match", ...) and `targets` a list of
    Slack user ids or typed ids ("pair:12", "announcement:3")."""

    __tablename__ = "audit_events"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(16))
    targets: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(index=True)


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


class ProgramSnapshot(Base):
    """Counts of a program taken once a day (participants by status, pairs by stage), for
    "change since last week" and the pairs-by-stage chart. Counts only, no people."""

    __tablename__ = "program_snapshots"
    __table_args__ = (UniqueConstraint("program_id", "day"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    day: Mapped[date] = mapped_column(Date)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


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


class CoordinatorMatch(Base):
    """A match a coordinator proposed (`/mentoring match`): both people are asked, and the
    pair starts only when both say yes. The coordinator's reason is shown to the two people
    when they are asked and is not stored."""

    __tablename__ = "coordinator_matches"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_requests.id", ondelete="CASCADE"), unique=True
    )
    proposed_by: Mapped[str] = mapped_column(String(32))
    mentee_answer: Mapped[str | None] = mapped_column(String(8))  # yes | no
    mentor_answer: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
