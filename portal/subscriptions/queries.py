"""Subscription SQL for the plan picker: the catalog on offer, promotion codes, history."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row
from portal.tables import coupons, invoices, prices, products, promotion_codes


async def prices_of_products(db: Database, product_ids: list[str]) -> list[Row]:
    """Active recurring licensed prices with their product, for the plan picker."""
    return await db.fetch_all(
        select(
            prices,
            products.c.name.label("product_name"),
            products.c.description.label("product_description"),
        )
        .join(products, products.c.id == prices.c.product_id)
        .where(
            prices.c.product_id.in_(product_ids),
            prices.c.active,
            products.c.active,
            prices.c.interval.is_not(None),
            prices.c.usage_type == "licensed",
        )
        .order_by(prices.c.unit_amount, prices.c.id)
    )


async def promotion(db: Database, code_normalized: str) -> Row | None:
    return await db.fetch_one(
        select(
            promotion_codes,
            coupons.c.percent_off,
            coupons.c.amount_off,
            coupons.c.currency.label("coupon_currency"),
            coupons.c.duration,
            coupons.c.duration_in_months,
            coupons.c.applies_to_products,
            coupons.c.name.label("coupon_name"),
            coupons.c.max_redemptions.label("coupon_max_redemptions"),
            coupons.c.times_redeemed.label("coupon_times_redeemed"),
            coupons.c.redeem_by,
            coupons.c.valid,
        )
        .join(coupons, coupons.c.id == promotion_codes.c.coupon_id)
        .where(promotion_codes.c.code_normalized == code_normalized)
    )


async def has_paid(db: Database, customer_id: str) -> bool:
    paid = await db.fetch_val(
        select(invoices.c.id)
        .where(
            invoices.c.customer_id == customer_id,
            invoices.c.status == InvoiceStatus.PAID,
            invoices.c.amount_paid > 0,
        )
        .limit(1)
    )
    return paid is not None
