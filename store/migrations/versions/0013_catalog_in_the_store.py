"""the services catalog in the store: services, the agencies' nicknames/site/phone, a generation counter

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None

ANSWER_COLUMNS = [
    f"{aspect}_{language}"
    for aspect in ("description", "fees", "documents", "steps", "where", "duration", "eligibility")
    for language in ("ar", "en")
]


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nicknames', JSON_TYPE, nullable=True))
        batch_op.add_column(sa.Column('website', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=64), nullable=True))

    op.create_table('services',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('aliases', JSON_TYPE, nullable=False),
    sa.Column('generic_names', JSON_TYPE, nullable=False),
    sa.Column('related', JSON_TYPE, nullable=False),
    *[sa.Column(name, sa.Text(), nullable=False) for name in ANSWER_COLUMNS],
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('importance', sa.Integer(), nullable=True),
    sa.Column('pilot', sa.Boolean(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('verified_by', sa.String(length=254), nullable=True),
    sa.Column('verified_at', TIME, nullable=True),
    sa.Column('created_at', TIME, nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_services_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_agency_id'), ['agency_id'], unique=False)

    op.create_table('catalog_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('changed_at', TIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_generation'))
    )
    # Its one row exists from the start: every change then only updates it (no race to create it).
    generation = sa.table('catalog_generation', sa.column('id', sa.Integer()), sa.column('generation', sa.Integer()),
                          sa.column('changed_at', TIME))
    op.bulk_insert(generation, [{'id': 1, 'generation': 0, 'changed_at': datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table('catalog_generation')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_agency_id'))
    op.drop_table('services')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('website')
        batch_op.drop_column('nicknames')
