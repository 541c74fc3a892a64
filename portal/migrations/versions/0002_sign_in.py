"""sign-in hardening

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

from portal import clock
from portal.auth.emails import normalize_email

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


outbox = sa.table("outbox_emails", sa.column("template", sa.String),
                  sa.column("subject", sa.String), sa.column("body_text", sa.Text),
                  sa.column("body_html", sa.Text), sa.column("created", sa.BigInteger),
                  sa.column("sent_at", sa.BigInteger), sa.column("expires_at", sa.BigInteger),
                  sa.column("erased_at", sa.BigInteger))
LOGIN_CODE_LIFETIME = 10 * 60  # as it was when these mails were written


def _outbox_expiry() -> None:
    """Sign-in mails expire with their code; those already sent or expired are blanked."""
    with op.batch_alter_table("outbox_emails") as batch_op:
        batch_op.add_column(sa.Column("last_attempt_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_outbox_emails_expiring", ["erased_at", "expires_at"],
                              unique=False)
        batch_op.create_index("ix_outbox_emails_last_attempt", ["last_attempt_at"],
                              unique=False)
    login_mail = outbox.c.template == "login_code"
    op.execute(outbox.update().where(login_mail)
               .values(expires_at=outbox.c.created + LOGIN_CODE_LIFETIME))
    now = clock.timestamp()
    op.execute(outbox.update()
               .where(login_mail, sa.or_(outbox.c.sent_at.is_not(None),
                                         outbox.c.expires_at <= now))
               .values(subject="", body_text="", body_html=None,
                       erased_at=sa.func.coalesce(outbox.c.sent_at, now)))


def _recreate() -> Literal["always", "auto"]:
    # SQLite cannot add a NOT NULL column in place; PostgreSQL can (the table is empty).
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    _renormalize_emails()
    # Codes are now tied to the browser that asked for them. Codes of the old form cannot be,
    # and live 10 minutes at most: a deploy ends them (customers ask for a new one).
    op.execute(sa.table("login_codes").delete())
    with op.batch_alter_table("login_codes", recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column("browser_hash", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("digits", sa.Integer(), nullable=False))
        batch_op.drop_index("ix_login_codes_email_configuration")
        batch_op.create_index("ix_login_codes_browser", ["email_normalized", "configuration_id",
                                                         "browser_hash", "created"], unique=False)
    _outbox_expiry()
    # There is no lock-out any more.
    with op.batch_alter_table("throttles") as batch_op:
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("throttles") as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("outbox_emails") as batch_op:
        batch_op.drop_index("ix_outbox_emails_last_attempt")
        batch_op.drop_index("ix_outbox_emails_expiring")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("last_attempt_at")
    op.execute(sa.table("login_codes").delete())
    with op.batch_alter_table("login_codes", recreate=_recreate()) as batch_op:
        batch_op.drop_index("ix_login_codes_browser")
        batch_op.create_index("ix_login_codes_email_configuration",
                              ["email_normalized", "configuration_id", "created"], unique=False)
        batch_op.drop_column("digits")
        batch_op.drop_column("browser_hash")
    # The case-folded emails of 0001 merged mailboxes; they are not brought back.
