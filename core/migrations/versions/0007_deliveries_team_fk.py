"""The delivery ledger's team id without a foreign key to workspaces

Every ledger insert checked `fk_deliveries_team_id_workspaces` (about a sixth of a bare
20,000-row insert's time) and took a KEY SHARE lock on the workspace's one row, which
concurrent sweeps share through a MultiXact. Dropping it is safe: each row's recipient
references `people` (ON DELETE CASCADE), whose `team_id` references `workspaces` (ON DELETE
CASCADE), so a ledger row cannot outlive its workspace through the recipient; and the only
code that deletes a workspace (`core.programs.lifecycle.purge_workspace`) deletes every row
carrying its team id, the ledger's included, before the workspace itself. The index on
`team_id` stays (the purge's delete uses it).

Revision ID: 0007_deliveries_team_fk
Revises: 0006_sweep_indexes
Create Date: 2026-12-07 23:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007_deliveries_team_fk"
down_revision = "0006_sweep_indexes"
branch_labels = None
depends_on = None

_FK = "fk_deliveries_team_id_workspaces"


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_foreign_key(_FK, "workspaces", ["team_id"], ["team_id"], ondelete="CASCADE")
