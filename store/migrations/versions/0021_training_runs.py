"""training from the console: each model's training-data snapshot; training runs (one at a time,
with their progress and log); switch-on requests awaiting a second admin (issue 22)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIME = sa.DateTime(timezone=True)

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_path', sa.String(length=1000), nullable=True))
    op.create_table('training_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', TIME, nullable=False),
    sa.Column('started_at', TIME, nullable=True),
    sa.Column('finished_at', TIME, nullable=True),
    sa.Column('heartbeat_at', TIME, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('log', sa.Text(), nullable=False),
    sa.Column('model_id', sa.String(length=200), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_users.id'], name=op.f('fk_training_runs_requested_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_runs')),
    sa.UniqueConstraint('slot', name=op.f('uq_training_runs_slot'))
    )
    op.create_table('model_switch_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', TIME, nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('confirmed_by', sa.String(length=200), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', TIME, nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_model_switch_requests_model_id_models')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_users.id'], name=op.f('fk_model_switch_requests_requested_by_id_staff_users')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['staff_users.id'], name=op.f('fk_model_switch_requests_confirmed_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_switch_requests'))
    )
    with op.batch_alter_table('model_switch_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_switch_requests_model_id'), ['model_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('model_switch_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_switch_requests_model_id'))
    op.drop_table('model_switch_requests')
    op.drop_table('training_runs')
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_column('snapshot_path')
