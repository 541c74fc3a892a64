"""api: the merchant's secret keys, the answers kept for idempotent retries, and the name a
configuration is given

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('portal_configurations') as batch:
        batch.add_column(sa.Column('name', sa.String(length=256), nullable=True))
    op.create_table(
        'api_keys',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('shown', sa.String(length=16), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('revoked_at', sa.BigInteger(), nullable=True),
        sa.Column('created', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('secret_hash'),
    )
    op.create_table(
        'idempotency_keys',
        sa.Column('api_key_id', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.JSON(), nullable=True),
        sa.Column('created', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('api_key_id', 'key'),
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    op.drop_table('api_keys')
    with op.batch_alter_table('portal_configurations') as batch:
        batch.drop_column('name')
