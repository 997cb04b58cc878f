"""routing decision on outbound messages, and the ledger of who pays for each

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=6)


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('route_reason', sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column('route_cause', sa.String(length=48), nullable=True))

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('body_type', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('unit_cost', MONEY, nullable=True),
    sa.Column('amount', MONEY, nullable=True),
    sa.Column('agency_share', MONEY, nullable=True),
    sa.Column('ministry_share', MONEY, nullable=True),
    sa.Column('citizen_share', MONEY, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_ledger_entries_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('message_id', name=op.f('uq_ledger_entries_message_id'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_agency_id'), ['agency_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_agency_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('route_cause')
        batch_op.drop_column('route_reason')
        batch_op.drop_column('sender')
