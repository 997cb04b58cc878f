"""message credit: the credit granted at the last top-up and the alerts sent since; a record of
each alert; the ledger indexed by date for quarterly statements

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_granted', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('credit_alerted', sa.Integer(), nullable=False, server_default='0'))
    # An agency added before this revision: what it holds now counts as its last top-up.
    op.execute("UPDATE agencies SET credit_granted = message_credit WHERE message_credit IS NOT NULL")

    op.create_table('credit_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('credit_granted', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_credit_alerts_agency_id_agencies')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_credit_alerts_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_alerts'))
    )
    with op.batch_alter_table('credit_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_alerts_agency_id'), ['agency_id'], unique=False)
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_created_at'))
    with op.batch_alter_table('credit_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_alerts_agency_id'))
    op.drop_table('credit_alerts')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('credit_alerted')
        batch_op.drop_column('credit_granted')
