"""Customers, their tax ids and payment methods."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table

from portal.tables.base import created, id_column, livemode, metadata, ref

customers = Table(
    "customers",
    metadata,
    id_column(),
    Column("email", String(512)),
    Column("email_normalized", String(512), index=True),
    Column("name", String(256)),
    Column("phone", String(32)),
    Column("address", JSON),
    Column("shipping", JSON),
    Column("preferred_locale", String(16)),
    Column("default_payment_method_id", String(64)),
    Column("balance", BigInteger, nullable=False, default=0),
    Column("metadata", JSON, nullable=False, default=dict),
    livemode(),
    created(),
)

tax_ids = Table(
    "tax_ids",
    metadata,
    id_column(),
    ref("customer_id", "customers.id", cascade=True),
    Column("type", String(16), nullable=False),  # eu_vat, gb_vat, us_ein, …
    Column("value", String(64), nullable=False),
    Column("country", String(2)),
    Column("verification_status", String(16), nullable=False, default="unverified"),
    created(),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    id_column(),
    ref("customer_id", "customers.id", nullable=True, cascade=True),
    Column("type", String(32), nullable=False),
    Column("brand", String(32)),
    Column("last4", String(4)),
    Column("exp_month", Integer),
    Column("exp_year", Integer),
    Column("fingerprint", String(64)),
    Column("processor_token", String(128)),
    Column("billing_details", JSON),
    livemode(),
    created(),
    # Two returns from one card entry save its card once.
    Index("ux_payment_methods_processor_token", "processor_token", unique=True),
)
