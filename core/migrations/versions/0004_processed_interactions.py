"""processed_interactions: each Slack interaction (button, modal submission, slash command)
applies once, keyed by an opaque key recorded in the transaction that applies it

Revision ID: 0004_processed_interactions
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.kernel.models

revision = "0004_processed_interactions"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_interactions",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("received_at", core.kernel.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_interactions")),
    )
    with op.batch_alter_table("processed_interactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_interactions_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_processed_interactions_team_id"), ["team_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("processed_interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_interactions_team_id"))
        batch_op.drop_index(batch_op.f("ix_processed_interactions_received_at"))
    op.drop_table("processed_interactions")
