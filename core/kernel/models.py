"""The declarative base every table derives from (SQLAlchemy 2, typed), the column types the
tables share, and the processed-events and processed-interactions tables that make incoming
Slack events and interactions idempotent.

Every table that holds people's data carries the Slack workspace (team) id, so a workspace can
be purged in one sweep and no query can mix two workspaces by accident."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
            raise ValueError("naive datetimes are not stored: use core.kernel.clock")
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


class ProcessedEvent(Base):
    """Slack event ids already handled: the same event delivered twice is handled once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class ProcessedInteraction(Base):
    """Slack interactions (a button, a modal submission, a slash command) already applied,
    by an opaque key the Slack adapter derives from the delivery: the same interaction
    delivered again applies once. The key is recorded in the transaction that applies it."""

    __tablename__ = "processed_interactions"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
