"""webhooks: endpoints' descriptions and metadata, and every delivery attempt

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.add_column(sa.Column('description', sa.String(length=5000), nullable=True))
        batch.add_column(sa.Column('metadata', sa.JSON(), nullable=False, server_default='{}'))
    op.create_index(
        'ix_webhook_deliveries_pending', 'webhook_deliveries', ['delivered_at', 'next_attempt_at']
    )
    op.create_table(
        'webhook_attempts',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('delivery_id', sa.String(length=64), nullable=False),
        sa.Column('attempted_at', sa.BigInteger(), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_webhook_attempts_delivery_id', 'webhook_attempts', ['delivery_id'])


def downgrade() -> None:
    op.drop_index('ix_webhook_attempts_delivery_id', 'webhook_attempts')
    op.drop_table('webhook_attempts')
    op.drop_index('ix_webhook_deliveries_pending', 'webhook_deliveries')
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.drop_column('metadata')
        batch.drop_column('description')
