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
    created(),
)


# Test mode only: how far `portal clock advance` has moved time, shared by every process.
test_clock = Table(
    "test_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", BigInteger, nullable=False),
)
