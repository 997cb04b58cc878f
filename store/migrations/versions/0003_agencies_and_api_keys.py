"""agencies and their API keys; the ledger names agencies by their catalog prefix

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name_ar', sa.String(length=256), nullable=False),
    sa.Column('name_en', sa.String(length=256), nullable=False),
    sa.Column('independent', sa.Boolean(), nullable=False),
    sa.Column('sms_sender_ids', JSON_TYPE, nullable=False),
    sa.Column('liaison_name', sa.String(length=256), nullable=True),
    sa.Column('liaison_phone', sa.String(length=32), nullable=True),
    sa.Column('liaison_email', sa.String(length=256), nullable=True),
    sa.Column('message_credit', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_api_keys_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_agency_id'), ['agency_id'], unique=False)

    # No agency had a row before this revision, so every existing agency_id is NULL.
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.alter_column('agency_id', existing_type=sa.Integer(), type_=sa.String(length=32),
                              postgresql_using='agency_id::varchar')


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.alter_column('agency_id', existing_type=sa.String(length=32), type_=sa.Integer(),
                              postgresql_using='NULL')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_agency_id'))
    op.drop_table('api_keys')
    op.drop_table('agencies')
