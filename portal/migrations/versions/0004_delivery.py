"""delivery: messages claimed by a sender, and messages given up

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_emails') as batch:
        batch.add_column(sa.Column('claimed_until', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('gave_up_at', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.add_column(sa.Column('last_attempt_at', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('gave_up_at', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.drop_column('gave_up_at')
        batch.drop_column('claimed_until')
        batch.drop_column('last_attempt_at')
    with op.batch_alter_table('outbox_emails') as batch:
        batch.drop_column('gave_up_at')
        batch.drop_column('claimed_until')
