"""The sweep's indexes: due ledger rows in claim order, and participations that left

- `ix_deliveries_due` replaces `ix_deliveries_claim`: (not_before, id) over pending rows that
  are not attached to a message. A claim reads it in its own ORDER BY, stops after LIMIT rows,
  and items a digest has taken leave the index (their update writes one index entry fewer).
- `ix_participations_left`: the few participations that left, so the sweep finds the pairs it
  must close without joining every pair.

Revision ID: 0006_sweep_indexes
Revises: 0005
Create Date: 2026-12-07 22:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_sweep_indexes"
down_revision = "0005"
branch_labels = None
depends_on = None

_PENDING = "status = 'pending'"
_DUE = "status = 'pending' AND message_id IS NULL"
_LEFT = "status = 'left'"


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_deliveries_claim",
            postgresql_where=sa.text(_PENDING),
            sqlite_where=sa.text(_PENDING),
        )
        batch_op.create_index(
            "ix_deliveries_due",
            ["not_before", "id"],
            unique=False,
            postgresql_where=sa.text(_DUE),
            sqlite_where=sa.text(_DUE),
        )
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participations_left",
            ["id"],
            unique=False,
            postgresql_where=sa.text(_LEFT),
            sqlite_where=sa.text(_LEFT),
        )


def downgrade() -> None:
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_participations_left",
            postgresql_where=sa.text(_LEFT),
            sqlite_where=sa.text(_LEFT),
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_deliveries_due",
            postgresql_where=sa.text(_DUE),
            sqlite_where=sa.text(_DUE),
        )
        batch_op.create_index(
            "ix_deliveries_claim",
            ["not_before"],
            unique=False,
            postgresql_where=sa.text(_PENDING),
            sqlite_where=sa.text(_PENDING),
        )
