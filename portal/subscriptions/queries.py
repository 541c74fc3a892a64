"""Subscription SQL. Every read of customer data is scoped to the session's customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, or_, select, update

from portal.db import Database, Row
from portal.tables import (
    coupons,
    customers,
    discounts,
    invoices,
    prices,
    products,
    promotion_codes,
    subscriptions,
)


async def subscription(db: Database, customer_id: str, subscription_id: str) -> Row | None:
    return await db.fetch_one(select(subscriptions).where(
        subscriptions.c.id == subscription_id, subscriptions.c.customer_id == customer_id))


async def prices_of_products(db: Database, product_ids: list[str]) -> list[Row]:
    """Active recurring licensed prices with their product, for the plan picker."""
    return await db.fetch_all(
        select(prices, products.c.name.label("product_name"),
               products.c.description.label("product_description"))
        .join(products, products.c.id == prices.c.product_id)
        .where(prices.c.product_id.in_(product_ids), prices.c.active, products.c.active,
               prices.c.interval.is_not(None), prices.c.usage_type == "licensed")
        .order_by(prices.c.unit_amount, prices.c.id))


async def customer(db: Database, customer_id: str) -> Row | None:
    return await db.fetch_one(select(customers).where(customers.c.id == customer_id))


async def promotion(db: Database, code_normalized: str) -> Row | None:
    return await db.fetch_one(
        select(promotion_codes, coupons.c.percent_off, coupons.c.amount_off,
               coupons.c.currency.label("coupon_currency"), coupons.c.duration,
               coupons.c.duration_in_months, coupons.c.applies_to_products,
               coupons.c.max_redemptions.label("coupon_max_redemptions"),
               coupons.c.times_redeemed.label("coupon_times_redeemed"),
               coupons.c.redeem_by, coupons.c.valid)
        .join(coupons, coupons.c.id == promotion_codes.c.coupon_id)
        .where(promotion_codes.c.code_normalized == code_normalized))


async def has_paid(db: Database, customer_id: str) -> bool:
    paid = await db.fetch_val(select(invoices.c.id).where(
        invoices.c.customer_id == customer_id, invoices.c.status == "paid",
        invoices.c.amount_paid > 0).limit(1))
    return paid is not None


async def bump_version(db: Database, subscription_id: str, version: int,
                       values: dict[str, Any]) -> bool:
    """Write the change only if nobody changed the subscription since the form was shown."""
    row = await db.fetch_one(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id, subscriptions.c.version == version)
        .values(version=version + 1, **values)
        .returning(subscriptions.c.id))
    return row is not None


async def redeem(db: Database, promotion_id: str, coupon_id: str) -> bool:
    """Count a redemption of the code and its coupon, unless a limit was reached meanwhile
    (False: the caller's transaction is then rolled back)."""
    return (await _count_redemption(db, promotion_codes, promotion_id)
            and await _count_redemption(db, coupons, coupon_id))


async def _count_redemption(db: Database, table: Table, row_id: str) -> bool:
    row = await db.fetch_one(
        update(table)
        .where(table.c.id == row_id, or_(table.c.max_redemptions.is_(None),
                                         table.c.times_redeemed < table.c.max_redemptions))
        .values(times_redeemed=table.c.times_redeemed + 1)
        .returning(table.c.id))
    return row is not None


async def end_discounts(db: Database, subscription_id: str, now: int) -> None:
    await db.execute(update(discounts).where(
        discounts.c.subscription_id == subscription_id,
        or_(discounts.c.end.is_(None), discounts.c.end > now)).values(end=now))


async def set_status(db: Database, subscription_id: str, status: str) -> None:
    await db.execute(update(subscriptions).where(subscriptions.c.id == subscription_id)
                     .values(status=status))

