"""Tables of the coordinator console: who coordinates which program, the audit log, daily
snapshots for reports, and coordinator-made matches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, ProgramFk, TeamFk

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
