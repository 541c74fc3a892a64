"""billing details: what an invoice says about its customer, fixed when it is finalized

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SNAPSHOT = ('name', 'email', 'phone', 'address', 'shipping')


def upgrade() -> None:
    with op.batch_alter_table('invoices') as batch:
        batch.add_column(sa.Column('customer_name', sa.String(length=256), nullable=True))
        batch.add_column(sa.Column('customer_email', sa.String(length=512), nullable=True))
        batch.add_column(sa.Column('customer_phone', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('customer_address', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('customer_shipping', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('customer_tax_ids', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('payment_method_id', sa.String(length=64), nullable=True))
    # Invoices finalized before this revision take the details their customer has now.
    invoices = sa.table('invoices', *(sa.column(f'customer_{n}') for n in SNAPSHOT),
                        sa.column('customer_id'), sa.column('status'))
    customers = sa.table('customers', sa.column('id'), *(sa.column(n) for n in SNAPSHOT))
    op.execute(
        invoices.update()
        .where(invoices.c.status != 'draft')
        .values({
            f'customer_{n}': sa.select(customers.c[n])
            .where(customers.c.id == invoices.c.customer_id)
            .scalar_subquery()
            for n in SNAPSHOT
        })
    )


def downgrade() -> None:
    with op.batch_alter_table('invoices') as batch:
        for name in ('payment_method_id', 'customer_tax_ids', *(f'customer_{n}' for n in reversed(SNAPSHOT))):
            batch.drop_column(name)
