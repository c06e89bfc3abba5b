"""The data model (SQLAlchemy 2, typed).

Every table that holds people's data carries the Slack workspace (team) id, so a workspace can
be purged in one sweep and no query can mix two workspaces by accident.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always hands back aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use core.clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


# Column types the tables share (`Mapped[TeamFk]`; a `mapped_column(index=True)` on the right
# adds to them). Every workspace-scoped row is removed with its workspace, and every row hanging
# off a program, person, participation or pair goes with it.
IntPk = Annotated[int, mapped_column(Integer, primary_key=True)]
TeamFk = Annotated[
    str, mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"), index=True)
]
ProgramFk = Annotated[int, mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))]
PersonFk = Annotated[int, mapped_column(ForeignKey("people.id", ondelete="CASCADE"))]
ParticipationFk = Annotated[int, mapped_column(ForeignKey("participations.id", ondelete="CASCADE"))]
PairFk = Annotated[int, mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))]


# Participation statuses
STATUS_ONBOARDING = "onboarding"  # joined, profile not confirmed yet
STATUS_ACTIVE = "active"  # confirmed profile, visible to matching
STATUS_LEFT = "left"  # left the program

MEETING_FORMATS = ("remote", "in_person", "either")


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


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    slack_user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    department: Mapped[str | None] = mapped_column(String(200))
    # The manager's Slack user id (not a foreign key: a manager may not be known yet).
    manager_slack_id: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    participations: Mapped[list[Participation]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True
    )


class Participation(Base):
    """A person's place in one program: roles, status and the profile matching reads."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("program_id", "person_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    person_id: Mapped[PersonFk]
    is_mentee: Mapped[bool] = mapped_column(Boolean, default=False)
    is_mentor: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_ONBOARDING)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    meeting_format: Mapped[str] = mapped_column(String(16), default="either")
    languages: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    confidentiality_ack_at: Mapped[datetime | None]
    profile_confirmed_at: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="participations")
    program: Mapped[Program] = relationship()
    goals: Mapped[list[Goal]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Goal.priority, Goal.position)",
    )
    expertise: Mapped[list[Expertise]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Expertise.competency_id"
    )

    @property
    def roles(self) -> str:
        if self.is_mentee and self.is_mentor:
            return "both"
        if self.is_mentor:
            return "mentor"
        if self.is_mentee:
            return "mentee"
        return "none"

    @property
    def confirmed(self) -> bool:
        return self.profile_confirmed_at is not None


class Goal(Base):
    """A development goal of a mentee: a competency, their own words, and a priority."""

    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("participation_id", "competency_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    participation_id: Mapped[ParticipationFk]
    competency_id: Mapped[str] = mapped_column(String(64))
    success: Mapped[str | None] = mapped_column(Text)  # "what would success look like?"
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 1 top, 2 important, 3 nice
    position: Mapped[int] = mapped_column(Integer, default=0)


class Expertise(Base):
    """An area a mentor can offer."""

    __tablename__ = "expertise"
    __table_args__ = (UniqueConstraint("participation_id", "competency_id"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    participation_id: Mapped[ParticipationFk]
    competency_id: Mapped[str] = mapped_column(String(64))


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


class ProcessedEvent(Base):
    """Slack event ids already handled: the same event delivered twice is handled once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


Index("ix_participations_program_status", Participation.program_id, Participation.status)
# A mentee's own shortlist walks the reporting line down one level per query, by manager.
Index("ix_people_team_manager", Person.team_id, Person.manager_slack_id)


# --- Matching: shortlists, requests, pairs -------------------------------------------------

REQUEST_PENDING = "pending"
REQUEST_ACCEPTED = "accepted"
REQUEST_DECLINED = "declined"
REQUEST_EXPIRED = "expired"
REQUEST_CANCELLED = "cancelled"

PAIR_ACTIVE = "active"
PAIR_COMPLETED = "completed"
PAIR_ENDED_EARLY = "ended_early"


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


# The sweep looks for due pending requests; matching counts open shortlists per program.
Index("ix_mentor_requests_status_expires", MentorRequest.status, MentorRequest.expires_at)
Index("ix_shortlists_program_status", Shortlist.program_id, Shortlist.status)
