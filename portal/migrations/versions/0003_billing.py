"""billing says what it bills: charges in steps, line kinds, invoice numbering

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices') as batch:
        batch.add_column(sa.Column('charge_key', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('charge_started_at', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('balance_change', sa.BigInteger(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('discount_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('change_on_payment', sa.JSON(), nullable=True))
        batch.create_unique_constraint('uq_invoices_number', ['number'])
    with op.batch_alter_table('invoice_lines') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
    with op.batch_alter_table('invoice_items') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
    with op.batch_alter_table('processor_charges') as batch:
        batch.add_column(sa.Column('refunded_at', sa.BigInteger(), nullable=True))
    op.create_table(
        'invoice_numbering',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('next_number', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_numbering')),
    )


def downgrade() -> None:
    op.drop_table('invoice_numbering')
    with op.batch_alter_table('processor_charges') as batch:
        batch.drop_column('refunded_at')
    with op.batch_alter_table('invoice_items') as batch:
        batch.drop_column('kind')
    with op.batch_alter_table('invoice_lines') as batch:
        batch.drop_column('kind')
    with op.batch_alter_table('invoices') as batch:
        batch.drop_constraint('uq_invoices_number', type_='unique')
        batch.drop_column('change_on_payment')
        batch.drop_column('discount_id')
        batch.drop_column('balance_change')
        batch.drop_column('charge_started_at')
        batch.drop_column('charge_key')
