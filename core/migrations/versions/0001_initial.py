"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 11:42:24.899532
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.kernel.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('received_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_events_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_processed_events_team_id'), ['team_id'], unique=False)

    op.create_table('workspaces',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('installed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uninstalled_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_workspaces'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('manager_slack_id', sa.String(length=32), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('unreachable', sa.Boolean(), nullable=False),
    sa.Column('profile_synced_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_people_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('team_id', 'slack_user_id', name=op.f('uq_people_team_id_slack_user_id'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_team_id'), ['team_id'], unique=False)

    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_programs_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs')),
    sa.UniqueConstraint('team_id', 'name', name=op.f('uq_programs_team_id_name'))
    )
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programs_team_id'), ['team_id'], unique=False)

    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_announcements_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_announcements_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcements_team_id'), ['team_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_audit_events_program_id_programs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_audit_events_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_team_id'), ['team_id'], unique=False)

    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=False),
    sa.Column('prompt_channel', sa.String(length=32), nullable=True),
    sa.Column('prompt_ts', sa.String(length=32), nullable=True),
    sa.Column('started_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_conversations_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_conversations_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_conversations_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('person_id', 'program_id', 'kind', name=op.f('uq_conversations_person_id_program_id_kind'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_team_id'), ['team_id'], unique=False)

    op.create_table('coordinators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('added_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_coordinators_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_coordinators_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coordinators')),
    sa.UniqueConstraint('program_id', 'slack_user_id', name=op.f('uq_coordinators_program_id_slack_user_id'))
    )
    with op.batch_alter_table('coordinators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinators_slack_user_id'), ['slack_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordinators_team_id'), ['team_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('batched', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_before', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sending_since', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('slack_channel', sa.String(length=32), nullable=True),
    sa.Column('slack_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['deliveries.id'], name=op.f('fk_deliveries_message_id_deliveries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['people.id'], name=op.f('fk_deliveries_recipient_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_deliveries_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('recipient_id', 'kind', 'subject', 'period', name=op.f('uq_deliveries_recipient_id_kind_subject_period'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_claim', ['not_before'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_index('ix_deliveries_message', ['message_id'], unique=False, postgresql_where=sa.text('message_id IS NOT NULL'), sqlite_where=sa.text('message_id IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_deliveries_team_id'), ['team_id'], unique=False)

    op.create_table('digest_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_digest_deliveries_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_digest_deliveries_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries')),
    sa.UniqueConstraint('program_id', 'slack_user_id', 'week', name=op.f('uq_digest_deliveries_program_id_slack_user_id_week'))
    )
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_deliveries_slack_user_id'), ['slack_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_deliveries_team_id'), ['team_id'], unique=False)

    op.create_table('do_not_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('person_a', sa.Integer(), nullable=False),
    sa.Column('person_b', sa.Integer(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_a'], ['people.id'], name=op.f('fk_do_not_pair_person_a_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_b'], ['people.id'], name=op.f('fk_do_not_pair_person_b_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_do_not_pair_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_do_not_pair')),
    sa.UniqueConstraint('team_id', 'person_a', 'person_b', name=op.f('uq_do_not_pair_team_id_person_a_person_b'))
    )
    with op.batch_alter_table('do_not_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_do_not_pair_team_id'), ['team_id'], unique=False)

    op.create_table('faq_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('entry_id', sa.String(length=100), nullable=True),
    sa.Column('band', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('logged_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_faq_gaps_program_id_programs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_faq_gaps_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_gaps'))
    )
    with op.batch_alter_table('faq_gaps', schema=None) as batch_op:
        batch_op.create_index('ix_faq_gaps_team_id_logged_at', ['team_id', 'logged_at'], unique=False)

    op.create_table('faq_pending_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('band', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.String(length=100), nullable=True),
    sa.Column('asked_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('feedback_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declined_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_faq_pending_questions_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_faq_pending_questions_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_pending_questions'))
    )
    with op.batch_alter_table('faq_pending_questions', schema=None) as batch_op:
        batch_op.create_index('ix_faq_pending_questions_expires_at', ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_faq_pending_questions_team_id'), ['team_id'], unique=False)

    op.create_table('participations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('is_mentee', sa.Boolean(), nullable=False),
    sa.Column('is_mentor', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('meeting_format', sa.String(length=16), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('confidentiality_ack_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('profile_confirmed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_until', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_participations_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_participations_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_participations_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participations')),
    sa.UniqueConstraint('program_id', 'person_id', name=op.f('uq_participations_program_id_person_id'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index('ix_participations_paused', ['person_id', 'paused_until'], unique=False, postgresql_where=sa.text('paused_until IS NOT NULL'), sqlite_where=sa.text('paused_until IS NOT NULL'))
        batch_op.create_index('ix_participations_program_status', ['program_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_participations_team_id'), ['team_id'], unique=False)

    op.create_table('program_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_snapshots_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_program_snapshots_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_snapshots')),
    sa.UniqueConstraint('program_id', 'day', name=op.f('uq_program_snapshots_program_id_day'))
    )
    with op.batch_alter_table('program_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_snapshots_team_id'), ['team_id'], unique=False)

    op.create_table('announcement_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('announcement_id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'], name=op.f('fk_announcement_deliveries_announcement_id_announcements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_announcement_deliveries_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_announcement_deliveries_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_deliveries')),
    sa.UniqueConstraint('program_id', 'announcement_id', 'slack_user_id', name=op.f('uq_announcement_deliveries_program_id_announcement_id_slack_user_id'))
    )
    with op.batch_alter_table('announcement_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_deliveries_announcement_id'), ['announcement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_deliveries_slack_user_id'), ['slack_user_id'], unique=False)
        batch_op.create_index('ix_announcement_deliveries_status', ['team_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_deliveries_team_id'), ['team_id'], unique=False)

    op.create_table('expertise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('participation_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['participation_id'], ['participations.id'], name=op.f('fk_expertise_participation_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_expertise_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise')),
    sa.UniqueConstraint('participation_id', 'competency_id', name=op.f('uq_expertise_participation_id_competency_id'))
    )
    with op.batch_alter_table('expertise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expertise_team_id'), ['team_id'], unique=False)

    op.create_table('goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('participation_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.String(length=64), nullable=False),
    sa.Column('success', sa.Text(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participation_id'], ['participations.id'], name=op.f('fk_goals_participation_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_goals_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goals')),
    sa.UniqueConstraint('participation_id', 'competency_id', name=op.f('uq_goals_participation_id_competency_id'))
    )
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goals_team_id'), ['team_id'], unique=False)

    op.create_table('match_exclusions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_match_exclusions_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['participations.id'], name=op.f('fk_match_exclusions_mentor_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_match_exclusions_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_exclusions')),
    sa.UniqueConstraint('mentee_id', 'mentor_id', name=op.f('uq_match_exclusions_mentee_id_mentor_id'))
    )
    with op.batch_alter_table('match_exclusions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_exclusions_team_id'), ['team_id'], unique=False)

    op.create_table('none_suit_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_none_suit_feedback_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_none_suit_feedback_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_none_suit_feedback'))
    )
    with op.batch_alter_table('none_suit_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_none_suit_feedback_team_id'), ['team_id'], unique=False)

    op.create_table('pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('participation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('started_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('until', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['participation_id'], ['participations.id'], name=op.f('fk_pauses_participation_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_pauses_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_pauses_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pauses'))
    )
    with op.batch_alter_table('pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pauses_participation_id'), ['participation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pauses_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pauses_until'), ['until'], unique=False)

    op.create_table('shortlists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_channel', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_shortlists_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_shortlists_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_shortlists_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlists'))
    )
    with op.batch_alter_table('shortlists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlists_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index('ix_shortlists_program_status', ['program_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_shortlists_team_id'), ['team_id'], unique=False)

    op.create_table('mentor_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('shortlist_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('via_coordinator', sa.Boolean(), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('remind_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mentor_channel', sa.String(length=32), nullable=True),
    sa.Column('mentor_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_mentor_requests_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['participations.id'], name=op.f('fk_mentor_requests_mentor_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_mentor_requests_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shortlist_id'], ['shortlists.id'], name=op.f('fk_mentor_requests_shortlist_id_shortlists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_mentor_requests_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_requests'))
    )
    with op.batch_alter_table('mentor_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_requests_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index('ix_mentor_requests_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_requests_team_id'), ['team_id'], unique=False)
        batch_op.create_index('uq_mentor_requests_one_pending', ['mentee_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('coordinator_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.String(length=32), nullable=False),
    sa.Column('mentee_answer', sa.String(length=8), nullable=True),
    sa.Column('mentor_answer', sa.String(length=8), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_coordinator_matches_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_requests.id'], name=op.f('fk_coordinator_matches_request_id_mentor_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_coordinator_matches_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coordinator_matches')),
    sa.UniqueConstraint('request_id', name=op.f('uq_coordinator_matches_request_id'))
    )
    with op.batch_alter_table('coordinator_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinator_matches_team_id'), ['team_id'], unique=False)

    op.create_table('pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('intro_channel', sa.String(length=32), nullable=True),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_pairs_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['participations.id'], name=op.f('fk_pairs_mentor_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_pairs_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_requests.id'], name=op.f('fk_pairs_request_id_mentor_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_pairs_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairs')),
    sa.UniqueConstraint('request_id', name=op.f('uq_pairs_request_id'))
    )
    with op.batch_alter_table('pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairs_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairs_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairs_team_id'), ['team_id'], unique=False)

    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('goals', sa.JSON(), nullable=False),
    sa.Column('cadence', sa.String(length=16), nullable=False),
    sa.Column('meeting_format', sa.String(length=16), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=False),
    sa.Column('suggestion', sa.Text(), nullable=True),
    sa.Column('proposed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('mentee_confirmed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mentor_confirmed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('activated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pairs.id'], name=op.f('fk_agreements_pair_id_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_agreements_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('pair_id', name=op.f('uq_agreements_pair_id'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_team_id'), ['team_id'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('health', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('share_summary', sa.Boolean(), nullable=False),
    sa.Column('answered_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pairs.id'], name=op.f('fk_checkins_pair_id_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_checkins_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_checkins_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('pair_id', 'person_id', 'seq', name=op.f('uq_checkins_pair_id_person_id_seq'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_team_id'), ['team_id'], unique=False)

    op.create_table('help_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pairs.id'], name=op.f('fk_help_requests_pair_id_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_help_requests_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_help_requests_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests'))
    )
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_requests_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_requests_team_id'), ['team_id'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('met_on', sa.Date(), nullable=False),
    sa.Column('logged_by', sa.Integer(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['logged_by'], ['people.id'], name=op.f('fk_meetings_logged_by_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pair_id'], ['pairs.id'], name=op.f('fk_meetings_pair_id_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_meetings_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('pair_id', 'met_on', name=op.f('uq_meetings_pair_id_met_on'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_team_id'), ['team_id'], unique=False)

    op.create_table('relationships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agreement_nudge_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active_since', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cadence_days', sa.Integer(), nullable=True),
    sa.Column('ends_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('term_asked_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_meeting_nudge_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('meeting_epoch', sa.Integer(), nullable=False),
    sa.Column('last_met_on', sa.Date(), nullable=True),
    sa.Column('next_checkin_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checkin_seq', sa.Integer(), nullable=False),
    sa.Column('closed_at', core.kernel.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pair_id'], ['pairs.id'], name=op.f('fk_relationships_pair_id_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_relationships_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_relationships_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relationships')),
    sa.UniqueConstraint('pair_id', name=op.f('uq_relationships_pair_id'))
    )
    with op.batch_alter_table('relationships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relationships_agreement_nudge_at'), ['agreement_nudge_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_relationships_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_relationships_next_checkin_at'), ['next_checkin_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_relationships_next_meeting_nudge_at'), ['next_meeting_nudge_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_relationships_team_id'), ['team_id'], unique=False)

    op.create_table('rematch_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_rematch_requests_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pair_id'], ['pairs.id'], name=op.f('fk_rematch_requests_pair_id_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_rematch_requests_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_rematch_requests_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rematch_requests')),
    sa.UniqueConstraint('pair_id', name=op.f('uq_rematch_requests_pair_id'))
    )
    with op.batch_alter_table('rematch_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rematch_requests_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rematch_requests_team_id'), ['team_id'], unique=False)

    op.create_table('meeting_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', core.kernel.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_notes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_meeting_notes_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_meeting_notes_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_notes')),
    sa.UniqueConstraint('meeting_id', 'person_id', name=op.f('uq_meeting_notes_meeting_id_person_id'))
    )
    with op.batch_alter_table('meeting_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_notes_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('meeting_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_notes_team_id'))

    op.drop_table('meeting_notes')
    with op.batch_alter_table('rematch_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rematch_requests_team_id'))
        batch_op.drop_index(batch_op.f('ix_rematch_requests_mentee_id'))

    op.drop_table('rematch_requests')
    with op.batch_alter_table('relationships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relationships_team_id'))
        batch_op.drop_index(batch_op.f('ix_relationships_next_meeting_nudge_at'))
        batch_op.drop_index(batch_op.f('ix_relationships_next_checkin_at'))
        batch_op.drop_index(batch_op.f('ix_relationships_ends_at'))
        batch_op.drop_index(batch_op.f('ix_relationships_agreement_nudge_at'))

    op.drop_table('relationships')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_team_id'))

    op.drop_table('meetings')
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_requests_team_id'))
        batch_op.drop_index(batch_op.f('ix_help_requests_pair_id'))

    op.drop_table('help_requests')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_team_id'))
        batch_op.drop_index(batch_op.f('ix_checkins_pair_id'))

    op.drop_table('checkins')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_team_id'))

    op.drop_table('agreements')
    with op.batch_alter_table('pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairs_team_id'))
        batch_op.drop_index(batch_op.f('ix_pairs_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_pairs_mentee_id'))

    op.drop_table('pairs')
    with op.batch_alter_table('coordinator_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinator_matches_team_id'))

    op.drop_table('coordinator_matches')
    with op.batch_alter_table('mentor_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_mentor_requests_one_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_mentor_requests_team_id'))
        batch_op.drop_index('ix_mentor_requests_status_expires')
        batch_op.drop_index(batch_op.f('ix_mentor_requests_mentor_id'))

    op.drop_table('mentor_requests')
    with op.batch_alter_table('shortlists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlists_team_id'))
        batch_op.drop_index('ix_shortlists_program_status')
        batch_op.drop_index(batch_op.f('ix_shortlists_mentee_id'))

    op.drop_table('shortlists')
    with op.batch_alter_table('pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pauses_until'))
        batch_op.drop_index(batch_op.f('ix_pauses_team_id'))
        batch_op.drop_index(batch_op.f('ix_pauses_participation_id'))

    op.drop_table('pauses')
    with op.batch_alter_table('none_suit_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_none_suit_feedback_team_id'))

    op.drop_table('none_suit_feedback')
    with op.batch_alter_table('match_exclusions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_exclusions_team_id'))

    op.drop_table('match_exclusions')
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goals_team_id'))

    op.drop_table('goals')
    with op.batch_alter_table('expertise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expertise_team_id'))

    op.drop_table('expertise')
    with op.batch_alter_table('announcement_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_deliveries_team_id'))
        batch_op.drop_index('ix_announcement_deliveries_status')
        batch_op.drop_index(batch_op.f('ix_announcement_deliveries_slack_user_id'))
        batch_op.drop_index(batch_op.f('ix_announcement_deliveries_announcement_id'))

    op.drop_table('announcement_deliveries')
    with op.batch_alter_table('program_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_snapshots_team_id'))

    op.drop_table('program_snapshots')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participations_team_id'))
        batch_op.drop_index('ix_participations_program_status')
        batch_op.drop_index('ix_participations_paused', postgresql_where=sa.text('paused_until IS NOT NULL'), sqlite_where=sa.text('paused_until IS NOT NULL'))

    op.drop_table('participations')
    with op.batch_alter_table('faq_pending_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_pending_questions_team_id'))
        batch_op.drop_index('ix_faq_pending_questions_expires_at')

    op.drop_table('faq_pending_questions')
    with op.batch_alter_table('faq_gaps', schema=None) as batch_op:
        batch_op.drop_index('ix_faq_gaps_team_id_logged_at')

    op.drop_table('faq_gaps')
    with op.batch_alter_table('do_not_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_do_not_pair_team_id'))

    op.drop_table('do_not_pair')
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_deliveries_team_id'))
        batch_op.drop_index(batch_op.f('ix_digest_deliveries_slack_user_id'))

    op.drop_table('digest_deliveries')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_team_id'))
        batch_op.drop_index('ix_deliveries_message', postgresql_where=sa.text('message_id IS NOT NULL'), sqlite_where=sa.text('message_id IS NOT NULL'))
        batch_op.drop_index('ix_deliveries_claim', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.drop_table('deliveries')
    with op.batch_alter_table('coordinators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinators_team_id'))
        batch_op.drop_index(batch_op.f('ix_coordinators_slack_user_id'))

    op.drop_table('coordinators')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_team_id'))

    op.drop_table('conversations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_team_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_program_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcements_team_id'))

    op.drop_table('announcements')
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programs_team_id'))

    op.drop_table('programs')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_team_id'))

    op.drop_table('people')
    op.drop_table('workspaces')
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_events_team_id'))
        batch_op.drop_index(batch_op.f('ix_processed_events_received_at'))

    op.drop_table('processed_events')
