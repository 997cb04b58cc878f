"""bot_replies: the bot's own wording in the store, editable in the console (seeded from data/replies.yml)

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bot_replies',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('text_ar', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.String(length=254), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_bot_replies')),
    )


def downgrade() -> None:
    op.drop_table('bot_replies')
