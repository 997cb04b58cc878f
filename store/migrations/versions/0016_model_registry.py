"""the model registry: the models workers may serve, and each switch of the active one (issue 22)

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('models',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('trained_at', TIME, nullable=False),
    sa.Column('trained_by', sa.String(length=200), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=True),
    sa.Column('scores', JSON_TYPE, nullable=True),
    sa.Column('registered_at', TIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_models'))
    )
    op.create_table('model_activations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=200), nullable=False),
    sa.Column('activated_at', TIME, nullable=False),
    sa.Column('activated_by', sa.String(length=200), nullable=False),
    sa.Column('rolled_back_at', TIME, nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_model_activations_model_id_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_activations'))
    )
    with op.batch_alter_table('model_activations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_activations_model_id'), ['model_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('model_activations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_activations_model_id'))
    op.drop_table('model_activations')
    op.drop_table('models')
