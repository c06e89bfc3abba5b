"""match_waitlist: mentees no mentor fits who asked to be told when one does, or asked a
coordinator for help

Revision ID: 0005
Revises: 0004_processed_interactions
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.kernel.models

revision = "0005"
down_revision = "0004_processed_interactions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_waitlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", core.kernel.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_at", core.kernel.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.kernel.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentee_id"],
            ["participations.id"],
            name=op.f("fk_match_waitlist_mentee_id_participations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_match_waitlist_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_match_waitlist_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_waitlist")),
    )
    with op.batch_alter_table("match_waitlist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_waitlist_mentee_id"), ["mentee_id"])
        batch_op.create_index(batch_op.f("ix_match_waitlist_team_id"), ["team_id"])
        batch_op.create_index(
            "uq_match_waitlist_one_open",
            ["mentee_id", "kind"],
            unique=True,
            sqlite_where=sa.text("status = 'waiting'"),
            postgresql_where=sa.text("status = 'waiting'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("match_waitlist", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_match_waitlist_one_open",
            sqlite_where=sa.text("status = 'waiting'"),
            postgresql_where=sa.text("status = 'waiting'"),
        )
        batch_op.drop_index(batch_op.f("ix_match_waitlist_team_id"))
        batch_op.drop_index(batch_op.f("ix_match_waitlist_mentee_id"))
    op.drop_table("match_waitlist")
