"""agencies: when an agency was registered for the API (`tawasol agency add`); NULL for an agency
the catalog alone knows, which `agency add` then registers instead of refusing as taken

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True))
    # The catalog is seeded at start-up, after the migrations: every agency already here was added
    # with `tawasol agency add` (or the console), so each is registered.
    op.execute("UPDATE agencies SET registered_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('registered_at')
