"""Payment-method SQL. Every statement names the customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.statuses import LIVE
from portal.db import Database, Row
from portal.tables import (
    customers,
    payment_methods,
    prices,
    products,
    subscription_items,
    subscriptions,
)


async def methods(db: Database, customer_id: str) -> list[Row]:
    """The customer's saved methods, newest first."""
    return await db.fetch_all(
        select(payment_methods)
        .where(payment_methods.c.customer_id == customer_id)
        .order_by(payment_methods.c.created.desc(), payment_methods.c.id)
    )


async def default_of(db: Database, customer_id: str) -> str | None:
    value = await db.fetch_val(
        select(customers.c.default_payment_method_id).where(customers.c.id == customer_id)
    )
    return str(value) if value else None


async def live_subscriptions(db: Database, customer_id: str) -> list[Row]:
    """The subscriptions still billed, with the method each carries (NULL: the customer's
    default) and the names of their products."""
    return await db.fetch_all(
        select(
            subscriptions.c.id,
            subscriptions.c.status,
            subscriptions.c.collection_method,
            subscriptions.c.default_payment_method_id,
            products.c.name.label("product_name"),
        )
        .join(subscription_items, subscription_items.c.subscription_id == subscriptions.c.id)
        .join(prices, prices.c.id == subscription_items.c.price_id)
        .join(products, products.c.id == prices.c.product_id)
        .where(
            subscriptions.c.customer_id == customer_id,
            subscriptions.c.status.in_([str(s) for s in LIVE]),
        )
        .order_by(subscriptions.c.created, subscriptions.c.id, subscription_items.c.created)
    )


async def set_default(db: Database, customer_id: str, payment_method_id: str | None) -> None:
    await db.execute(
        update(customers)
        .where(customers.c.id == customer_id)
        .values(default_payment_method_id=payment_method_id)
    )


async def detach(db: Database, customer_id: str, payment_method_id: str) -> bool:
    """Take the method off the customer (kept for the invoices it paid); False if it was not
    theirs (any more)."""
    row = await db.fetch_one(
        update(payment_methods)
        .where(
            payment_methods.c.id == payment_method_id,
            payment_methods.c.customer_id == customer_id,
        )
        .values(customer_id=None)
        .returning(payment_methods.c.id)
    )
    return row is not None


async def release(db: Database, customer_id: str, payment_method_id: str) -> list[str]:
    """Subscriptions that carried the method fall back to the customer's default; returns
    their ids."""
    rows = await db.fetch_all(
        update(subscriptions)
        .where(
            subscriptions.c.customer_id == customer_id,
            subscriptions.c.default_payment_method_id == payment_method_id,
        )
        .values(default_payment_method_id=None, version=subscriptions.c.version + 1)
        .returning(subscriptions.c.id)
    )
    return [row["id"] for row in rows]


async def matching(db: Database, customer_id: str, token: str, fingerprint: str) -> Row | None:
    """The customer's method saved from this setup, or the same card saved before."""
    return await db.fetch_one(
        select(payment_methods)
        .where(
            payment_methods.c.customer_id == customer_id,
            (payment_methods.c.processor_token == token)
            | (payment_methods.c.fingerprint == fingerprint),
        )
        .limit(1)
    )


async def insert(db: Database, **values: Any) -> bool:
    """Save a method; False when its processor reference is saved already (a second return
    from the same card entry, at the same moment)."""
    insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(payment_methods)
    row = await db.fetch_one(
        insert.values(**values)
        .on_conflict_do_nothing(index_elements=["processor_token"])
        .returning(payment_methods.c.id)
    )
    return row is not None
