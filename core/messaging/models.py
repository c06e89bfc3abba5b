"""The delivery ledger's table: one row per message the bot sends on its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, PersonFk
from core.people.models import Participation

# Delivery ledger statuses
DELIVERY_PENDING = "pending"
DELIVERY_SENT = "sent"
DELIVERY_FAILED = "failed"
DELIVERY_DROPPED = "dropped"  # no longer relevant when its turn came (nothing was sent)
DIGEST = "digest"  # the one scheduled message a person gets on a day, batching items

# Kinds of the coordinators' messages (the text of an announcement stays in `announcements`;
# a row's payload names it by id)
ANNOUNCEMENT = "announcement"
INVITATION = "invitation"
COORDINATOR_DIGEST = "coordinator_digest"  # the weekly report, per program and ISO week
SHORTLIST = "shortlist"  # a mentee's shortlist from a coordinator's matching run
# Not batched (each is a message of its own, not one of the day's digest), yet they wait for
# the recipient's working hours and for the end of a pause, as scheduled items do.
IN_WORKING_HOURS = frozenset({ANNOUNCEMENT, INVITATION})


class Delivery(Base):
    """The delivery ledger: one row per thing to tell a person, and one per message sent.

    The key (recipient, kind, subject, period) is unique, so planning the same thing twice
    (two sweeps, a restart, a retried click) inserts nothing. Scheduled items (`batched`) are
    sent inside that day's `digest` row for the person (period: their local date), so a person
    gets at most one scheduled message a day. Rows are claimed with a lease (`claimed_by`,
    `claimed_until`); `sending_since` marks a send in flight; a row becomes `sent` only after
    Slack answered ok. `payload` holds ids and dates only, never text people wrote.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "subject", "period"),
        # Partial indexes: settled rows (the vast majority over time) are in neither.
        # What a claim reads, in its ORDER BY: items a digest took are not in it.
        Index(
            "ix_deliveries_due",
            "not_before",
            "id",
            postgresql_where=text("status = 'pending' AND message_id IS NULL"),
            sqlite_where=text("status = 'pending' AND message_id IS NULL"),
        ),
        Index(
            "ix_deliveries_message",
            "message_id",
            postgresql_where=text("message_id IS NOT NULL"),
            sqlite_where=text("message_id IS NOT NULL"),
        ),
    )

    id: Mapped[IntPk]
    # No foreign key to `workspaces` (migration 0007): every ledger insert would check it and
    # take a KEY SHARE lock on the one workspace row, which concurrent sweeps then share through
    # a MultiXact. The recipient's foreign key already ties each row to a person of the
    # workspace (people.team_id references workspaces, ON DELETE CASCADE), and the purge
    # (`core.programs.lifecycle.purge_workspace`) deletes the workspace's deliveries by this
    # column before the workspace itself.
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    recipient_id: Mapped[PersonFk]
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(40), default="")
    batched: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=DELIVERY_PENDING)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    not_before: Mapped[datetime]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    sending_since: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))


# The sweep closes pairs in which someone left: the few participations that did, without a
# join over every pair (participations is not this module's table; the sweep's index is).
Index(
    "ix_participations_left",
    Participation.id,
    postgresql_where=text("status = 'left'"),
    sqlite_where=text("status = 'left'"),
)
