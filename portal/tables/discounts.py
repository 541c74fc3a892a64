"""Coupons, promotion codes, and the discounts they give subscriptions."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, String, Table

from portal.tables.base import created, id_column, livemode, metadata, ref

coupons = Table(
    "coupons",
    metadata,
    id_column(),
    Column("name", String(40)),
    Column("percent_off", Integer),  # basis points are not needed: whole percents, 1-100
    Column("amount_off", BigInteger),
    Column("currency", String(3)),
    Column("duration", String(12), nullable=False),  # once | repeating | forever
    Column("duration_in_months", Integer),
    Column("applies_to_products", JSON),  # list of product ids, NULL for all
    Column("max_redemptions", Integer),
    Column("redeem_by", BigInteger),
    Column("times_redeemed", Integer, nullable=False, default=0),
    Column("valid", Boolean, nullable=False, default=True),
    livemode(),
    created(),
)

promotion_codes = Table(
    "promotion_codes",
    metadata,
    id_column(),
    Column("code", String(64), nullable=False),
    Column("code_normalized", String(64), nullable=False, unique=True),
    ref("coupon_id", "coupons.id"),
    ref("customer_id", "customers.id", nullable=True),  # restricted to one customer
    Column("active", Boolean, nullable=False, default=True),
    Column("expires_at", BigInteger),
    Column("max_redemptions", Integer),
    Column("times_redeemed", Integer, nullable=False, default=0),
    Column("first_time_transaction", Boolean, nullable=False, default=False),
    Column("minimum_amount", BigInteger),
    Column("minimum_amount_currency", String(3)),
    livemode(),
    created(),
)

discounts = Table(
    "discounts",
    metadata,
    id_column(),
    ref("customer_id", "customers.id", cascade=True),
    ref("subscription_id", "subscriptions.id", nullable=True, cascade=True),
    ref("coupon_id", "coupons.id"),
    ref("promotion_code_id", "promotion_codes.id", nullable=True),
    Column("start", BigInteger, nullable=False),
    Column("end", BigInteger),
    created(),
)
