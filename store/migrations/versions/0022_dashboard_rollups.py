"""dashboards: daily rollups (`dashboard_daily`, and which days are rolled up in
`dashboard_rollup_days`), and the created_at indexes that let a day, or today so far, be read as a
range instead of a scan of the whole messages table

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dashboard_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('agency_id', sa.String(length=32), nullable=False),
        sa.Column('metric', sa.String(length=16), nullable=False),
        sa.Column('key1', sa.String(length=200), nullable=False),
        sa.Column('key2', sa.String(length=32), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('amount_micro', sa.BigInteger(), nullable=False),
        sa.Column('share_micro', sa.BigInteger(), nullable=False),
        # A chart reads one metric over a range of days: the key leads with them.
        sa.PrimaryKeyConstraint('metric', 'day', 'agency_id', 'key1', 'key2', name=op.f('pk_dashboard_daily')),
    )
    # A liaison officer's dashboard reads one agency's metric over a range of days.
    op.create_index('ix_dashboard_daily_agency_metric_day', 'dashboard_daily', ['agency_id', 'metric', 'day'])
    op.create_table(
        'dashboard_rollup_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('rolled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('messages', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_dashboard_rollup_days')),
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('unrecognised_messages', schema=None) as batch_op:
        batch_op.create_index('ix_unrecognised_messages_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_created_at')
    with op.batch_alter_table('unrecognised_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_unrecognised_messages_created_at')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_created_at')
    op.drop_table('dashboard_rollup_days')
    op.drop_index('ix_dashboard_daily_agency_metric_day', table_name='dashboard_daily')
    op.drop_table('dashboard_daily')
