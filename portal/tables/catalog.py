"""The catalog: products and their prices."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, String, Table, Text

from portal.tables.base import created, id_column, livemode, metadata, ref

products = Table(
    "products",
    metadata,
    id_column(),
    Column("name", String(250), nullable=False),
    Column("description", Text),
    Column("unit_label", String(12)),
    Column("tax_code", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("metadata", JSON, nullable=False, default=dict),
    livemode(),
    created(),
)

prices = Table(
    "prices",
    metadata,
    id_column(),
    ref("product_id", "products.id"),
    Column("nickname", String(250)),
    Column("currency", String(3), nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("interval", String(8)),  # day | week | month | year; NULL for one-time prices
    Column("interval_count", Integer, nullable=False, default=1),
    Column("usage_type", String(8), nullable=False, default="licensed"),  # licensed | metered
    Column("tax_behavior", String(12), nullable=False, default="unspecified"),
    Column("active", Boolean, nullable=False, default=True),
    livemode(),
    created(),
)
