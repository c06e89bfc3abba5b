"""Tables of matching: shortlists, requests to mentors, pairs, exclusions, do-not-pair and
"none of these suit me" feedback, and the waitlist (a mentee no mentor fits who asked to be told
when one does, or asked a coordinator for help)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, ParticipationFk, PersonFk, ProgramFk, TeamFk

REQUEST_PENDING = "pending"
REQUEST_ACCEPTED = "accepted"
REQUEST_DECLINED = "declined"
REQUEST_EXPIRED = "expired"
REQUEST_CANCELLED = "cancelled"
PAIR_ACTIVE = "active"
PAIR_COMPLETED = "completed"
PAIR_ENDED_EARLY = "ended_early"
WAIT_NOTIFY = "notify"  # "tell me when a mentor fits"
WAIT_COORDINATOR = "coordinator"  # "ask a coordinator"
WAIT_OPEN = "waiting"
WAIT_NOTIFIED = "notified"  # told once that a mentor fits (a shortlist was sent)
WAIT_DONE = "done"  # no longer needed (they asked someone, got a list, or a coordinator handled it)


class Shortlist(Base):
    """The candidates offered to a mentee, with the reasons shown to them."""

    __tablename__ = "shortlists"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    mentee_id: Mapped[ParticipationFk] = mapped_column(index=True)
    # [{"mentor_id": participation id, "score": float, "reasons": [str, ...]}], best first
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    message_channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class MentorRequest(Base):
    """A mentee asking a mentor. At most one pending request per mentee (partial unique index)."""

    __tablename__ = "mentor_requests"
    __table_args__ = (
        Index(
            "uq_mentor_requests_one_pending",
            "mentee_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    mentee_id: Mapped[ParticipationFk]
    mentor_id: Mapped[ParticipationFk] = mapped_column(index=True)
    shortlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("shortlists.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=REQUEST_PENDING)
    via_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str | None] = mapped_column(Text)  # private to the mentor
    created_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    mentor_channel: Mapped[str | None] = mapped_column(String(32))
    mentor_ts: Mapped[str | None] = mapped_column(String(32))


class Pair(Base):
    """A mentoring relationship between a mentee and a mentor in one program."""

    __tablename__ = "pairs"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    mentee_id: Mapped[ParticipationFk] = mapped_column(index=True)
    mentor_id: Mapped[ParticipationFk] = mapped_column(index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentor_requests.id", ondelete="SET NULL"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default=PAIR_ACTIVE)
    intro_channel: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))


class MatchExclusion(Base):
    """A mentor a mentee should not be offered again ("none of these suit me", a decline)."""

    __tablename__ = "match_exclusions"
    __table_args__ = (UniqueConstraint("mentee_id", "mentor_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    mentee_id: Mapped[ParticipationFk]
    mentor_id: Mapped[ParticipationFk]
    reason: Mapped[str] = mapped_column(String(32))  # none_suit | declined | expired
    created_at: Mapped[datetime]


class DoNotPair(Base):
    """Two people a coordinator said must not be paired (in either role)."""

    __tablename__ = "do_not_pair"
    __table_args__ = (UniqueConstraint("team_id", "person_a", "person_b"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    person_a: Mapped[PersonFk]
    person_b: Mapped[PersonFk]
    created_at: Mapped[datetime]


class NoneSuitFeedback(Base):
    """Why a mentee said none of the suggested mentors suit them (private, for improving)."""

    __tablename__ = "none_suit_feedback"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    mentee_id: Mapped[ParticipationFk]
    # A fixed choice ("goals", "practical", "known", "other") so feedback can be counted.
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class WaitlistEntry(Base):
    """A mentee no mentor fits, waiting: to be told once when one does (`notify`), or for a
    coordinator's help (`coordinator`). At most one open entry of each kind per mentee."""

    __tablename__ = "match_waitlist"
    __table_args__ = (
        Index(
            "uq_match_waitlist_one_open",
            "mentee_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    mentee_id: Mapped[ParticipationFk] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))  # notify | coordinator
    status: Mapped[str] = mapped_column(String(16), default=WAIT_OPEN)
    created_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]  # last time a fitting mentor was looked for
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))  # coordinator's Slack id


# The sweep looks for due pending requests; matching counts open shortlists per program.
Index("ix_mentor_requests_status_expires", MentorRequest.status, MentorRequest.expires_at)

Index("ix_shortlists_program_status", Shortlist.program_id, Shortlist.status)
