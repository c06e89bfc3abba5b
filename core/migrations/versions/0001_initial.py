"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 09:56:55.348079
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('received_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_events_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_processed_events_team_id'), ['team_id'], unique=False)

    op.create_table('workspaces',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('installed_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uninstalled_at', core.models.UTCDateTime(timezone=True), nullable=True),
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
    sa.Column('profile_synced_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(timezone=True), nullable=False),
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
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_programs_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs')),
    sa.UniqueConstraint('team_id', 'name', name=op.f('uq_programs_team_id_name'))
    )
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programs_team_id'), ['team_id'], unique=False)

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
    sa.Column('started_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_conversations_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_conversations_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_conversations_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('person_id', 'program_id', 'kind', name=op.f('uq_conversations_person_id_program_id_kind'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_team_id'), ['team_id'], unique=False)

    op.create_table('do_not_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('person_a', sa.Integer(), nullable=False),
    sa.Column('person_b', sa.Integer(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_a'], ['people.id'], name=op.f('fk_do_not_pair_person_a_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_b'], ['people.id'], name=op.f('fk_do_not_pair_person_b_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_do_not_pair_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_do_not_pair')),
    sa.UniqueConstraint('team_id', 'person_a', 'person_b', name=op.f('uq_do_not_pair_team_id_person_a_person_b'))
    )
    with op.batch_alter_table('do_not_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_do_not_pair_team_id'), ['team_id'], unique=False)

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
    sa.Column('confidentiality_ack_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('profile_confirmed_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_until', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_participations_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_participations_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_participations_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participations')),
    sa.UniqueConstraint('program_id', 'person_id', name=op.f('uq_participations_program_id_person_id'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index('ix_participations_program_status', ['program_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_participations_team_id'), ['team_id'], unique=False)

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
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
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
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_none_suit_feedback_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_none_suit_feedback_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_none_suit_feedback'))
    )
    with op.batch_alter_table('none_suit_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_none_suit_feedback_team_id'), ['team_id'], unique=False)

    op.create_table('shortlists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_channel', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participations.id'], name=op.f('fk_shortlists_mentee_id_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_shortlists_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_shortlists_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlists'))
    )
    with op.batch_alter_table('shortlists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlists_mentee_id'), ['mentee_id'], unique=False)
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
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('remind_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', core.models.UTCDateTime(timezone=True), nullable=True),
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
        batch_op.create_index(batch_op.f('ix_mentor_requests_team_id'), ['team_id'], unique=False)
        batch_op.create_index('uq_mentor_requests_one_pending', ['mentee_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('intro_channel', sa.String(length=32), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.models.UTCDateTime(timezone=True), nullable=True),
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



def downgrade() -> None:
    with op.batch_alter_table('pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairs_team_id'))
        batch_op.drop_index(batch_op.f('ix_pairs_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_pairs_mentee_id'))

    op.drop_table('pairs')
    with op.batch_alter_table('mentor_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_mentor_requests_one_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_mentor_requests_team_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_requests_mentor_id'))

    op.drop_table('mentor_requests')
    with op.batch_alter_table('shortlists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlists_team_id'))
        batch_op.drop_index(batch_op.f('ix_shortlists_mentee_id'))

    op.drop_table('shortlists')
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
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participations_team_id'))
        batch_op.drop_index('ix_participations_program_status')

    op.drop_table('participations')
    with op.batch_alter_table('do_not_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_do_not_pair_team_id'))

    op.drop_table('do_not_pair')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_team_id'))

    op.drop_table('conversations')
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
