"""broadcasts (manual pushes by liaison officers), their recipients, the ministry's broadcast
policy, and credit and sender-ID requests

Revision ID: 0018
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def _staff_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ['staff_users.id'], name=op.f(f'fk_{table}_{column}_staff_users'))


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('text_ar', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('template', sa.String(length=128), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('recipients_source', sa.String(length=16), nullable=False),
    sa.Column('recipients_spec', JSON_TYPE, nullable=True),
    sa.Column('send_at', TIME, nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=512), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('recipients_count', sa.Integer(), nullable=False),
    sa.Column('excluded_count', sa.Integer(), nullable=False),
    sa.Column('segments_ar', sa.Integer(), nullable=False),
    sa.Column('segments_en', sa.Integer(), nullable=False),
    sa.Column('created_at', TIME, nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_broadcasts_agency_id_agencies')),
    _staff_fk('broadcasts', 'created_by'),
    _staff_fk('broadcasts', 'approved_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    )
    op.create_index(op.f('ix_broadcasts_agency_id'), 'broadcasts', ['agency_id'], unique=False)

    op.create_table('broadcast_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('provider_id', sa.String(length=128), nullable=True),
    sa.Column('error', sa.String(length=128), nullable=True),
    sa.Column('claimed_at', TIME, nullable=True),
    sa.Column('sent_at', TIME, nullable=True),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_broadcast_recipients_broadcast_id_broadcasts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_recipients')),
    sa.UniqueConstraint('broadcast_id', 'phone', name='uq_broadcast_recipients_broadcast_id_phone'),
    )
    op.create_index('ix_broadcast_recipients_broadcast_state', 'broadcast_recipients', ['broadcast_id', 'state', 'id'])

    op.create_table('broadcast_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approval_threshold', sa.Integer(), nullable=True),
    sa.Column('quiet_start', sa.String(length=5), nullable=False),
    sa.Column('quiet_end', sa.String(length=5), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_policy')),
    )

    for table, what in (('credit_requests', sa.Column('amount', sa.Integer(), nullable=False)),
                        ('sender_id_requests', sa.Column('sender_id', sa.String(length=11), nullable=False))):
        op.create_table(table,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.String(length=32), nullable=False),
        what,
        sa.Column('reason', sa.String(length=1024), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', TIME, nullable=True),
        sa.Column('created_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f(f'fk_{table}_agency_id_agencies')),
        _staff_fk(table, 'requested_by'),
        _staff_fk(table, 'decided_by'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        )
        op.create_index(op.f(f'ix_{table}_agency_id'), table, ['agency_id'], unique=False)


def downgrade() -> None:
    for table in ('sender_id_requests', 'credit_requests'):
        op.drop_index(op.f(f'ix_{table}_agency_id'), table_name=table)
        op.drop_table(table)
    op.drop_table('broadcast_policy')
    op.drop_index('ix_broadcast_recipients_broadcast_state', table_name='broadcast_recipients')
    op.drop_table('broadcast_recipients')
    op.drop_index(op.f('ix_broadcasts_agency_id'), table_name='broadcasts')
    op.drop_table('broadcasts')
