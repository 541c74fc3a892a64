"""Invoices, their lines, adjustments waiting for the next invoice, and numbering."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portal.tables.base import created, id_column, livemode, metadata, ref

invoices = Table(
    "invoices",
    metadata,
    id_column(),
    # Indexed by ix_invoices_customer_created, which leads with it: an index of its own would
    # tempt PostgreSQL's generic plans into sorting all of a customer's invoices for a page.
    ref("customer_id", "customers.id", cascade=True, index=False),
    ref("subscription_id", "subscriptions.id", nullable=True),
    Column("number", String(64), unique=True),  # given when finalized (drafts have none)
    Column("status", String(16), nullable=False),  # draft | open | paid | void | uncollectible
    Column("billing_reason", String(32)),
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("discount", BigInteger, nullable=False, default=0),
    Column("tax", BigInteger, nullable=False, default=0),
    Column("total", BigInteger, nullable=False),
    Column("amount_due", BigInteger, nullable=False),
    Column("amount_paid", BigInteger, nullable=False, default=0),
    Column("period_start", BigInteger),
    Column("period_end", BigInteger),
    Column("due_date", BigInteger),
    Column("paid_at", BigInteger),
    # Automatic collection: how many charges were tried, and when the next one is due.
    Column("attempt_count", Integer, nullable=False, default=0),
    Column("next_payment_attempt", BigInteger),
    # The charge in flight: its idempotency key is committed before the processor is called.
    Column("charge_key", String(128)),
    Column("charge_started_at", BigInteger),
    Column("last_decline_code", String(40)),  # why its last charge failed (None: it did not)
    # Applied when finalized: what it moves on the customer's balance, and the discount it
    # uses (a one-time discount ends with it).
    Column("balance_change", BigInteger, nullable=False, server_default="0"),
    Column("discount_id", String(64)),
    # A draft paid while the customer waits: the subscription change its payment completes.
    Column("change_on_payment", JSON),
    # The customer's billing details as they were when it was finalized (Stripe's names):
    # editing them later changes future invoices only.
    Column("customer_name", String(256)),
    Column("customer_email", String(512)),
    Column("customer_phone", String(32)),
    Column("customer_address", JSON),
    Column("customer_shipping", JSON),
    Column("customer_tax_ids", JSON),  # [{"type": "eu_vat", "value": "DE…"}]
    Column("payment_method_id", String(64)),  # the card that paid it, when the portal knows
    livemode(),
    created(),
    # A renewal happens once per subscription and period, whatever the number of workers.
    UniqueConstraint(
        "subscription_id", "period_start", "billing_reason", name="uq_invoices_subscription_period"
    ),
    # Invoice history is read newest first per customer, by cursor.
    Index("ix_invoices_customer_created", "customer_id", "created", "id"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    id_column(),
    ref("invoice_id", "invoices.id", cascade=True),
    ref("price_id", "prices.id", nullable=True),
    # period | unused_time | remaining_time, worded when shown; NULL for imported lines,
    # which keep the description they came with.
    Column("kind", String(16)),
    Column("description", Text),
    Column("amount", BigInteger, nullable=False),
    Column("quantity", Integer),
    Column("proration", Boolean, nullable=False, default=False),
    Column("period_start", BigInteger),
    Column("period_end", BigInteger),
    Column("position", Integer, nullable=False, default=0),
)

# Charges waiting for the subscription's next invoice (prorations of a change).
invoice_items = Table(
    "invoice_items",
    metadata,
    id_column(),
    ref("customer_id", "customers.id", cascade=True),
    ref("subscription_id", "subscriptions.id", cascade=True),
    ref("price_id", "prices.id", nullable=True),
    ref("invoice_id", "invoices.id", nullable=True),  # NULL until invoiced
    Column("kind", String(16)),  # as on invoice_lines
    Column("description", Text),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("quantity", Integer),
    Column("proration", Boolean, nullable=False, default=False),
    Column("period_start", BigInteger),
    Column("period_end", BigInteger),
    created(),
)

# The business's invoice numbers: one prefix and one sequence (`QMA-0079`), continued from
# imported invoices by the loader.
invoice_numbering = Table(
    "invoice_numbering",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(16), nullable=False),
    Column("next_number", BigInteger, nullable=False),
)
