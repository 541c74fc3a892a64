"""invoice index: a customer's invoices are found by (customer_id, created, id) alone

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_invoices_customer_id', table_name='invoices')


def downgrade() -> None:
    op.create_index('ix_invoices_customer_id', 'invoices', ['customer_id'])
