"""What billing reads of a subscription, for a change and for a renewal alike."""

from __future__ import annotations

from sqlalchemy import or_, select

from portal.db import Database, Row
from portal.tables import coupons, discounts, invoice_items, prices, products, subscription_items


async def items(db: Database, subscription_id: str) -> list[Row]:
    """The items with their prices and products."""
    return await db.fetch_all(
        select(subscription_items.c.id.label("item_id"), subscription_items.c.quantity,
               prices, products.c.name.label("product_name"))
        .join(prices, prices.c.id == subscription_items.c.price_id)
        .join(products, products.c.id == prices.c.product_id)
        .where(subscription_items.c.subscription_id == subscription_id)
        .order_by(subscription_items.c.created, subscription_items.c.id))


async def active_discount(db: Database, subscription_id: str, at: int) -> Row | None:
    """The subscription's discount in force at `at`, with its coupon."""
    return await db.fetch_one(
        select(discounts.c.id.label("discount_id"), discounts.c.end, coupons)
        .join(coupons, coupons.c.id == discounts.c.coupon_id)
        .where(discounts.c.subscription_id == subscription_id, discounts.c.start <= at,
               or_(discounts.c.end.is_(None), discounts.c.end > at))
        .order_by(discounts.c.start.desc()).limit(1))


async def pending_items(db: Database, subscription_id: str) -> list[Row]:
    """Prorations waiting for the subscription's next invoice."""
    return await db.fetch_all(select(invoice_items).where(
        invoice_items.c.subscription_id == subscription_id, invoice_items.c.invoice_id.is_(None))
        .order_by(invoice_items.c.created, invoice_items.c.id))
