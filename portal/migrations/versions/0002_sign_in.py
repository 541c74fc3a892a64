"""sign-in hardening

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portal.auth.service import normalize_email

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

customers = sa.table("customers", sa.column("id", sa.String), sa.column("email", sa.String),
                     sa.column("email_normalized", sa.String))


def _renormalize_emails() -> None:
    """Customers are matched on the new form: case-folded values would still merge `straße`
    with `strasse`."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(customers.c.id, customers.c.email, customers.c.email_normalized)
                        .where(customers.c.email.is_not(None))).all()
    changed = [{"customer_id": id_, "normalized": normalize_email(email)}
               for id_, email, normalized in rows if normalize_email(email) != normalized]
    if changed:
        bind.execute(customers.update().where(customers.c.id == sa.bindparam("customer_id"))
                     .values(email_normalized=sa.bindparam("normalized")), changed)


def upgrade() -> None:
    _renormalize_emails()


def downgrade() -> None:
    # The case-folded form merged mailboxes; it is not brought back.
    pass
