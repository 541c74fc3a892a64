"""card once: a processor's payment method is saved once

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ux_payment_methods_processor_token', 'payment_methods', ['processor_token'], unique=True
    )


def downgrade() -> None:
    op.drop_index('ux_payment_methods_processor_token', table_name='payment_methods')
