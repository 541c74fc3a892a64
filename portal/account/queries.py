"""Reads for a customer's home page. Every query is scoped to one customer."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from portal.db import Database, Row, prefixed
from portal.tables import (
    coupons,
    customers,
    discounts,
    invoice_items,
    invoices,
    payment_methods,
    prices,
    products,
    subscription_items,
    subscriptions,
)

ENDED = ("canceled", "incomplete_expired")


CARD = "card__"


async def customer(db: Database, customer_id: str) -> Row | None:
    """The customer, and their default payment method as `card__*` columns (NULL if none)."""
    return await db.fetch_one(
        select(customers, *(c.label(CARD + c.name) for c in payment_methods.c))
        .outerjoin(payment_methods, and_(
            payment_methods.c.id == customers.c.default_payment_method_id,
            payment_methods.c.customer_id == customers.c.id))
        .where(customers.c.id == customer_id))


def card_of(customer: Row) -> Row | None:
    card = prefixed(customer, CARD)
    return card if card["id"] is not None else None


async def current_subscription_items(db: Database, customer_id: str, now: int) -> list[Row]:
    """One row per item of each subscription that has not ended, with its price, product,
    discount in force and prorations waiting for the next invoice (one query)."""
    discount_in_force = and_(discounts.c.subscription_id == subscriptions.c.id,
                             discounts.c.start <= now,
                             or_(discounts.c.end.is_(None), discounts.c.end > now))
    pending = (select(func.coalesce(func.sum(invoice_items.c.amount), 0))
               .where(invoice_items.c.subscription_id == subscriptions.c.id,
                      invoice_items.c.invoice_id.is_(None))
               .scalar_subquery())
    query = (
        select(
            subscriptions,
            subscription_items.c.id.label("item_id"),
            subscription_items.c.quantity,
            prices.c.id.label("price_id"),
            prices.c.currency,
            prices.c.unit_amount,
            prices.c.interval,
            prices.c.interval_count,
            prices.c.usage_type,
            products.c.id.label("product_id"),
            products.c.name.label("product_name"),
            products.c.unit_label,
            coupons.c.id.label("coupon_id"),
            coupons.c.percent_off,
            coupons.c.amount_off,
            coupons.c.applies_to_products,
            pending.label("pending_amount"),
        )
        .join(subscription_items, subscription_items.c.subscription_id == subscriptions.c.id)
        .join(prices, prices.c.id == subscription_items.c.price_id)
        .join(products, products.c.id == prices.c.product_id)
        .outerjoin(discounts, discount_in_force)
        .outerjoin(coupons, coupons.c.id == discounts.c.coupon_id)
        .where(subscriptions.c.customer_id == customer_id,
               # Not `NOT IN (…)`: a list makes the statement uncacheable (db_backends.py).
               *(subscriptions.c.status != status for status in ENDED))
        .order_by(subscriptions.c.created.desc(), subscriptions.c.id, subscription_items.c.created,
                  subscription_items.c.id)
    )
    return await db.fetch_all(query)


async def latest_invoices(db: Database, customer_id: str, limit: int) -> list[Row]:
    """Newest first; uses the (customer_id, created, id) index whatever the history's length."""
    return await db.fetch_all(
        select(invoices)
        .where(invoices.c.customer_id == customer_id, invoices.c.status != "draft")
        .order_by(invoices.c.created.desc(), invoices.c.id.desc())
        .limit(limit)
    )
