"""Tables of a mentoring relationship once a pair exists: the learning agreement, meetings,
pauses, check-ins, help and rematch requests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, PairFk, ParticipationFk, PersonFk, ProgramFk, TeamFk

# A pause "until I resume" is stored on the participation as this far-future instant, so that
# everything reading `Participation.paused_until > now` (matching too) sees the person paused.
INDEFINITE = datetime(9999, 1, 1, tzinfo=UTC)
AGREEMENT_PROPOSED = "proposed"  # drafted by the mentee, waiting for the mentor
AGREEMENT_CHANGES = "changes_suggested"  # the mentor asked for changes
AGREEMENT_ACTIVE = "active"  # confirmed by both
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}
PROGRESS_VALUES = ("not_started", "some_progress", "good_progress", "achieved")
HEALTH_VALUES = ("working_well", "could_be_better", "not_working")


class Relationship(Base):
    """The schedule of one pair: when each kind of message is next due (NULL: not due).

    The sweep looks for timers that have passed; planning a message moves its timer on with a
    conditional update, so concurrent sweeps plan it once.
    """

    __tablename__ = "relationships"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    pair_id: Mapped[PairFk] = mapped_column(unique=True)
    program_id: Mapped[ProgramFk]
    created_at: Mapped[datetime]
    # A pair without an active agreement by then is nudged once.
    agreement_nudge_at: Mapped[datetime | None] = mapped_column(index=True)
    active_since: Mapped[datetime | None]  # the agreement became active
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    ends_at: Mapped[datetime | None] = mapped_column(index=True)  # end of the planned duration
    term_asked_at: Mapped[datetime | None]  # "complete or extend?" planned for this ends_at
    next_meeting_nudge_at: Mapped[datetime | None] = mapped_column(index=True)
    # Grows whenever a meeting is logged, snoozed or scheduled: a nudge planned under an older
    # epoch is no longer relevant and is dropped instead of sent.
    meeting_epoch: Mapped[int] = mapped_column(Integer, default=0)
    last_met_on: Mapped[date | None]
    next_checkin_at: Mapped[datetime | None] = mapped_column(index=True)
    checkin_seq: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None]


class Agreement(Base):
    """A pair's learning agreement. Visible only to the two people in the pair."""

    __tablename__ = "agreements"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    pair_id: Mapped[PairFk] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(20), default=AGREEMENT_PROPOSED)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # [{"title": str, "success": str}]
    goals: Mapped[list[Any]] = mapped_column(default=list)
    cadence: Mapped[str] = mapped_column(String(16))
    meeting_format: Mapped[str] = mapped_column(String(16))
    duration_months: Mapped[int] = mapped_column(Integer)
    suggestion: Mapped[str | None] = mapped_column(Text)  # the mentor's requested changes
    proposed_at: Mapped[datetime]
    mentee_confirmed_at: Mapped[datetime | None]
    mentor_confirmed_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Meeting(Base):
    """A meeting a pair logged. One per pair and day, whoever logs it first."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("pair_id", "met_on"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    pair_id: Mapped[PairFk]
    met_on: Mapped[date]
    logged_by: Mapped[PersonFk]
    created_at: Mapped[datetime]


class MeetingNote(Base):
    """A private note about a meeting, for the person who wrote it only."""

    __tablename__ = "meeting_notes"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    person_id: Mapped[PersonFk]
    note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Pause(Base):
    """A person taking a break from nudges, for a set time or until they resume."""

    __tablename__ = "pauses"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    participation_id: Mapped[ParticipationFk] = mapped_column(index=True)
    person_id: Mapped[PersonFk]
    started_at: Mapped[datetime]
    until: Mapped[datetime | None] = mapped_column(index=True)  # None: until they resume
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))  # expired | resumed


class CheckIn(Base):
    """One person's answers to one check-in. Private to that person."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("pair_id", "person_id", "seq"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    pair_id: Mapped[PairFk] = mapped_column(index=True)
    person_id: Mapped[PersonFk]
    seq: Mapped[int] = mapped_column(Integer)
    progress: Mapped[list[Any]] = mapped_column(default=list)  # one PROGRESS_VALUE per goal
    health: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    share_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime]


class HelpRequest(Base):
    """Someone in a pair asked to talk to a coordinator. Coordinators learn only who asked."""

    __tablename__ = "help_requests"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    pair_id: Mapped[PairFk] = mapped_column(index=True)
    person_id: Mapped[PersonFk]
    source: Mapped[str] = mapped_column(String(16), default="checkin")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]


class RematchRequest(Base):
    """A mentee whose pair ended asked for a new mentor; matching picks these up."""

    __tablename__ = "rematch_requests"

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    pair_id: Mapped[PairFk] = mapped_column(unique=True)
    mentee_id: Mapped[ParticipationFk] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_at: Mapped[datetime]
