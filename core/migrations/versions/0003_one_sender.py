"""one sender: announcements, invitations and the weekly digest move into the delivery ledger

Pending (and in-flight, `sending`) rows of `announcement_deliveries` become pending ledger
rows (kinds `announcement` / `invitation`, subject = the announcement id), with a minimal
`people` row for an invitee the bot never saw. `digest_deliveries` rows are kept as settled
ledger rows (kind `coordinator_digest`) so this week's digest is not sent again; one left in
`sending` (its sender stopped mid-way) is settled as dropped, never left stuck. Then both old
tables are dropped. No other table's DDL changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import core.kernel.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

When = core.kernel.models.UTCDateTime(timezone=True)

people = sa.table(
    "people",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("slack_user_id", sa.String),
    sa.column("display_name", sa.String),
    sa.column("unreachable", sa.Boolean),
    sa.column("created_at", When),
    sa.column("updated_at", When),
)
deliveries = sa.table(
    "deliveries",
    sa.column("team_id", sa.String),
    sa.column("recipient_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("subject", sa.String),
    sa.column("period", sa.String),
    sa.column("batched", sa.Boolean),
    sa.column("status", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("due_at", When),
    sa.column("not_before", When),
    sa.column("attempts", sa.Integer),
    sa.column("last_error", sa.String),
    sa.column("created_at", When),
    sa.column("sent_at", When),
)
announcements = sa.table(
    "announcements",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("created_at", When),
)
announcement_deliveries = sa.table(
    "announcement_deliveries",
    sa.column("team_id", sa.String),
    sa.column("announcement_id", sa.Integer),
    sa.column("slack_user_id", sa.String),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
)
digest_deliveries = sa.table(
    "digest_deliveries",
    sa.column("team_id", sa.String),
    sa.column("program_id", sa.Integer),
    sa.column("slack_user_id", sa.String),
    sa.column("week", sa.String),
    sa.column("status", sa.String),
    sa.column("created_at", When),
    sa.column("sent_at", When),
)

DIGEST_STATUS = {"sent": "sent", "failed": "failed", "sending": "dropped"}


def _person(conn: Any, team_id: str, user_id: str, now: datetime) -> int:
    """The person's id; a minimal row (Slack id only) for someone the bot never saw."""
    found = conn.execute(
        sa.select(people.c.id).where(people.c.team_id == team_id, people.c.slack_user_id == user_id)
    ).scalar()
    if found is not None:
        return int(found)
    conn.execute(
        people.insert().values(
            team_id=team_id,
            slack_user_id=user_id,
            display_name=user_id,
            unreachable=False,
            created_at=now,
            updated_at=now,
        )
    )
    return _person(conn, team_id, user_id, now)


def _row(team_id: str, person_id: int, kind: str, subject: str, now: datetime) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "recipient_id": person_id,
        "kind": kind,
        "subject": subject,
        "period": "",
        "batched": False,
        "status": "pending",
        "payload": {},
        "due_at": now,
        "not_before": now,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }


def _move_announcements(conn: Any) -> list[dict[str, Any]]:
    """Pending (and in-flight) announcements and invitations, due since they were written."""
    rows = conn.execute(
        sa.select(
            announcement_deliveries.c.team_id,
            announcement_deliveries.c.announcement_id,
            announcement_deliveries.c.slack_user_id,
            announcement_deliveries.c.attempts,
            announcements.c.kind,
            announcements.c.created_at,
        )
        .join(announcements, announcements.c.id == announcement_deliveries.c.announcement_id)
        .where(announcement_deliveries.c.status.in_(("pending", "sending")))
    ).all()
    out = []
    for team_id, announcement_id, user_id, attempts, kind, written in rows:
        ledger_kind = "invitation" if kind == "invite" else "announcement"
        row = _row(team_id, _person(conn, team_id, user_id, written), ledger_kind, "", written)
        row.update(
            subject=str(announcement_id),
            payload={"announcement": int(announcement_id)},
            attempts=int(attempts or 0),
        )
        out.append(row)
    return out


def _move_digests(conn: Any) -> list[dict[str, Any]]:
    """Every weekly digest row, settled, dated when it was claimed."""
    out = []
    for team_id, program_id, user_id, week, status, created_at, sent_at in conn.execute(
        sa.select(digest_deliveries)
    ).all():
        person = _person(conn, team_id, user_id, created_at)
        row = _row(team_id, person, "coordinator_digest", "", created_at)
        settled = DIGEST_STATUS.get(status, "dropped")
        row.update(
            subject=str(program_id),
            period=week,
            payload={"program": int(program_id)},
            status=settled,
            due_at=created_at,
            not_before=created_at,
            created_at=created_at,
            sent_at=sent_at,
            last_error="migrated:sending" if status == "sending" else None,
        )
        out.append(row)
    return out


def upgrade() -> None:
    conn = op.get_bind()
    # every moved row keeps the time it was written: a migration has no clock of its own
    rows = _move_announcements(conn) + _move_digests(conn)
    if rows:
        conn.execute(deliveries.insert(), rows)
    with op.batch_alter_table("announcement_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_deliveries_team_id"))
        batch_op.drop_index("ix_announcement_deliveries_status")
        batch_op.drop_index(batch_op.f("ix_announcement_deliveries_slack_user_id"))
        batch_op.drop_index(batch_op.f("ix_announcement_deliveries_announcement_id"))
    op.drop_table("announcement_deliveries")
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_deliveries_team_id"))
        batch_op.drop_index(batch_op.f("ix_digest_deliveries_slack_user_id"))
    op.drop_table("digest_deliveries")


def downgrade() -> None:
    """The old tables come back empty; the ledger keeps (and the old code ignores) the rows."""
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_digest_deliveries_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_digest_deliveries_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_deliveries")),
        sa.UniqueConstraint(
            "program_id",
            "slack_user_id",
            "week",
            name=op.f("uq_digest_deliveries_program_id_slack_user_id_week"),
        ),
    )
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digest_deliveries_slack_user_id"), ["slack_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_digest_deliveries_team_id"), ["team_id"], unique=False)
    op.create_table(
        "announcement_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", When, nullable=True),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_deliveries_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_announcement_deliveries_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_announcement_deliveries_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_deliveries")),
        sa.UniqueConstraint(
            "program_id",
            "announcement_id",
            "slack_user_id",
            name=op.f("uq_announcement_deliveries_program_id_announcement_id_slack_user_id"),
        ),
    )
    with op.batch_alter_table("announcement_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcement_deliveries_announcement_id"),
            ["announcement_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_announcement_deliveries_slack_user_id"), ["slack_user_id"], unique=False
        )
        batch_op.create_index(
            "ix_announcement_deliveries_status", ["team_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_announcement_deliveries_team_id"), ["team_id"], unique=False
        )
