"""the transaction registry behind the agency API: transactions, their events, the messages each
step sent, escalations, idempotency keys, per-agency opt-outs; agencies get an escalation period
and an optional lookup URL

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0005'
down_revision = '0007'  # written beside 0006-0007 from 0003; chained after them at the merge, so a database already at 0007 gets it next
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalate_after_days', sa.Integer(), nullable=False, server_default='10'))
        batch_op.add_column(sa.Column('lookup_url', sa.String(length=512), nullable=True))

    op.create_table('transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.String(length=128), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('citizen_phone', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_employee_phone', sa.String(length=32), nullable=True),
    sa.Column('manager_phone', sa.String(length=32), nullable=True),
    sa.Column('escalate_after_days', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('clock_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock_event_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_transactions_agency_id_agencies')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_transactions_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions')),
    sa.UniqueConstraint('agency_id', 'number', name='uq_transactions_agency_id_number')
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transactions_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index('ix_transactions_state_clock', ['state', 'clock_started_at'], unique=False)

    op.create_table('transaction_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('destination', sa.String(length=256), nullable=True),
    sa.Column('document_number', sa.String(length=64), nullable=True),
    sa.Column('employee_phone', sa.String(length=32), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_transaction_events_transaction_id_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_events'))
    )
    with op.batch_alter_table('transaction_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_events_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('transaction_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('clock_event_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_transaction_escalations_transaction_id_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_escalations')),
    sa.UniqueConstraint('transaction_id', 'clock_event_id', 'period', name='uq_transaction_escalations_transaction_id')
    )

    op.create_table('transaction_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('skipped', sa.String(length=48), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['escalation_id'], ['transaction_escalations.id'], name=op.f('fk_transaction_notifications_escalation_id_transaction_escalations')),
    sa.ForeignKeyConstraint(['event_id'], ['transaction_events.id'], name=op.f('fk_transaction_notifications_event_id_transaction_events')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_transaction_notifications_message_id_messages')),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_transaction_notifications_transaction_id_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_notifications'))
    )
    with op.batch_alter_table('transaction_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_notifications_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transaction_notifications_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transaction_notifications_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', JSON_TYPE, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_idempotency_keys_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('agency_id', 'key', name='uq_idempotency_keys_agency_id_key')
    )

    op.create_table('agency_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_opt_outs_agency_id_agencies')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_agency_opt_outs_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_opt_outs')),
    sa.UniqueConstraint('citizen_id', 'agency_id', name='uq_agency_opt_outs_citizen_id')
    )


def downgrade() -> None:
    op.drop_table('agency_opt_outs')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('transaction_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_notifications_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_transaction_notifications_message_id'))
        batch_op.drop_index(batch_op.f('ix_transaction_notifications_event_id'))
    op.drop_table('transaction_notifications')
    op.drop_table('transaction_escalations')
    with op.batch_alter_table('transaction_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_events_transaction_id'))
    op.drop_table('transaction_events')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_transactions_state_clock')
        batch_op.drop_index(batch_op.f('ix_transactions_citizen_id'))
    op.drop_table('transactions')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('lookup_url')
        batch_op.drop_column('escalate_after_days')
