"""Tables of people and their mentoring profiles: the person as Slack knows them, their
participation in a program (role, capacity, how they like to meet), goals and expertise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.kernel.models import Base, IntPk, ParticipationFk, PersonFk, ProgramFk, TeamFk
from core.programs.models import Program

# Participation statuses
STATUS_ONBOARDING = "onboarding"  # joined, profile not confirmed yet
STATUS_ACTIVE = "active"  # confirmed profile, visible to matching
STATUS_LEFT = "left"  # left the program
MEETING_FORMATS = ("remote", "in_person", "either")


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


Index("ix_participations_program_status", Participation.program_id, Participation.status)

# A mentee's own shortlist walks the reporting line down one level per query, by manager.
Index("ix_people_team_manager", Person.team_id, Person.manager_slack_id)

# Who is paused right now: the sweep asks this for every batch of recipients. Partial, so it
# stays as small as the number of pauses (participations itself is not this module's table).
Index(
    "ix_participations_paused",
    Participation.person_id,
    Participation.paused_until,
    postgresql_where=Participation.paused_until.is_not(None),
    sqlite_where=Participation.paused_until.is_not(None),
)
