"""the curation inbox: what staff made of each missed message, the training examples they gave, and
their changes to intents (issue 22)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIME = sa.DateTime(timezone=True)

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unrecognised_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_unrecognised_messages_resolved_by_staff_users'), 'staff_users',
                                    ['resolved_by'], ['id'])
    op.create_table('training_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intent', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('normalized', sa.Text(), nullable=False),
    sa.Column('service_id', sa.String(length=128), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', TIME, nullable=False),
    sa.Column('held_out', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_training_examples_created_by_staff_users')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_training_examples_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_examples'))
    )
    with op.batch_alter_table('training_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_examples_message_id'), ['message_id'], unique=False)
    op.create_table('intent_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('from_intent', sa.String(length=128), nullable=True),
    sa.Column('to_intent', sa.String(length=128), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_intent_changes_created_by_staff_users')),
    sa.ForeignKeyConstraint(['example_id'], ['training_examples.id'], name=op.f('fk_intent_changes_example_id_training_examples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intent_changes'))
    )


def downgrade() -> None:
    op.drop_table('intent_changes')
    with op.batch_alter_table('training_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_examples_message_id'))
    op.drop_table('training_examples')
    with op.batch_alter_table('unrecognised_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_unrecognised_messages_resolved_by_staff_users'), type_='foreignkey')
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('resolution')
