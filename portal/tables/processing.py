"""What the built-in test processor and the test clock keep."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from portal.tables.base import created, metadata

# What the built-in test processor has charged, by idempotency key: the simulated network's
# own memory, so a retried charge is never taken twice.
processor_charges = Table(
    "processor_charges",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),
    Column("payment_method_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("outcome", String(32), nullable=False),  # succeeded | card_declined | …
    Column("refunded_at", BigInteger),
    Column("return_url", String(2048)),  # a payment waiting for its owner to authenticate
    created(),
)


# The test processor's hosted card entry: one row per setup session. A card number is never
# stored; the card is kept as a processor would keep it (brand, last 4, expiry, fingerprint).
processor_setups = Table(
    "processor_setups",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("return_url", String(2048), nullable=False),
    Column("status", String(16), nullable=False),  # open | succeeded | canceled
    Column("brand", String(32)),
    Column("last4", String(4)),
    Column("exp_month", Integer),
    Column("exp_year", Integer),
    Column("fingerprint", String(64)),
    Column("authentication", String(16)),  # required | passed, for the 3-D Secure test cards
    created(),
)


# Test mode only: how far `portal clock advance` has moved time, shared by every process.
test_clock = Table(
    "test_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", BigInteger, nullable=False),
)
