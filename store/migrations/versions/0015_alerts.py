"""alerts: records agencies feed, per-agency schedules, claimed alert steps, traffic violations; who subscribed

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(12, 6)

revision = '0015'
down_revision = '0012'
branch_labels = None
depends_on = None

# Before alerts were sent, "subscribe to alerts" stored one topic for every document; those
# citizens asked for document-expiry alerts, so they keep them, per document.
DOCUMENT_TOPICS = (
    'passport_expiry', 'id_card_expiry', 'driving_license_expiry', 'vehicle_registration_expiry',
    'residence_permit_expiry',
)


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('agency_id', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(op.f('fk_subscriptions_agency_id_agencies'), 'agencies', ['agency_id'], ['id'])
    for topic in DOCUMENT_TOPICS:
        op.execute(
            sa.text(
                "INSERT INTO subscriptions (citizen_id, topic, active, source, created_at, updated_at) "
                "SELECT citizen_id, :topic, active, 'chat', created_at, updated_at FROM subscriptions old "
                "WHERE old.topic = 'document_expiry' AND NOT EXISTS ("
                "SELECT 1 FROM subscriptions s WHERE s.citizen_id = old.citizen_id AND s.topic = :topic)"
            ).bindparams(topic=topic)
        )
    op.execute(sa.text("DELETE FROM subscriptions WHERE topic = 'document_expiry'"))

    op.create_table('alert_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('document_type', sa.String(length=32), nullable=False),
    sa.Column('document_number', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('created_at', TIME, nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_alert_records_agency_id_agencies')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_alert_records_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_records')),
    sa.UniqueConstraint('agency_id', 'document_type', 'document_number', name='uq_alert_records_agency_id')
    )
    with op.batch_alter_table('alert_records', schema=None) as batch_op:
        batch_op.create_index('ix_alert_records_expires_on', ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_records_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('alert_schedules',
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('document_type', sa.String(length=32), nullable=False),
    sa.Column('days_before', JSON_TYPE, nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_alert_schedules_agency_id_agencies')),
    sa.PrimaryKeyConstraint('agency_id', 'document_type', name=op.f('pk_alert_schedules'))
    )

    op.create_table('alert_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=False),
    sa.Column('claimed_at', TIME, nullable=False),
    sa.Column('sent_at', TIME, nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('message_ids', JSON_TYPE, nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['alert_records.id'], name=op.f('fk_alert_deliveries_record_id_alert_records')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_alert_deliveries_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries')),
    sa.UniqueConstraint('record_id', 'expires_on', 'days_before', name='uq_alert_deliveries_record_id')
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_alert_deliveries_claim', ['claim'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_deliveries_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('traffic_violations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', TIME, nullable=False),
    sa.Column('amount_jod', MONEY, nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('message_ids', JSON_TYPE, nullable=True),
    sa.Column('created_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_traffic_violations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_traffic_violations_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traffic_violations'))
    )
    with op.batch_alter_table('traffic_violations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traffic_violations_citizen_id'), ['citizen_id'], unique=False)


def downgrade() -> None:
    op.drop_table('traffic_violations')
    op.drop_table('alert_deliveries')
    op.drop_table('alert_schedules')
    op.drop_table('alert_records')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_subscriptions_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_column('agency_id')
        batch_op.drop_column('source')
