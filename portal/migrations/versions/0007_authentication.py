"""authentication: why an invoice's last charge failed, and where a confirmed payment returns

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices') as batch:
        batch.add_column(sa.Column('last_decline_code', sa.String(length=40), nullable=True))
    with op.batch_alter_table('processor_charges') as batch:
        batch.add_column(sa.Column('return_url', sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('processor_charges') as batch:
        batch.drop_column('return_url')
    with op.batch_alter_table('invoices') as batch:
        batch.drop_column('last_decline_code')
