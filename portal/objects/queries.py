"""What the objects are built from: a record and its children (a customer's tax IDs, a
subscription's items with their prices, an invoice's lines)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, or_, select

from portal.db import Database, Row
from portal.tables import (
    discounts,
    invoice_lines,
    prices,
    subscription_items,
    tax_ids,
)


async def row(db: Database, table: Table, record_id: str) -> Row | None:
    """A record by its id."""
    return await db.fetch_one(select(table).where(table.c.id == record_id))


async def tax_ids_of(db: Database, customer_ids: Sequence[str]) -> list[Row]:
    return await _children(db, tax_ids, "customer_id", customer_ids)


async def lines_of(db: Database, invoice_ids: Sequence[str]) -> list[Row]:
    return await _children(db, invoice_lines, "invoice_id", invoice_ids)


async def items_of(db: Database, subscription_ids: Sequence[str]) -> list[Row]:
    """The items of these subscriptions with their prices, in order."""
    if not subscription_ids:
        return []
    return await db.fetch_all(
        select(
            subscription_items.c.id,
            subscription_items.c.subscription_id,
            subscription_items.c.price_id,
            subscription_items.c.quantity,
            prices.c.product_id,
            prices.c.currency,
            prices.c.unit_amount,
            prices.c.interval,
            prices.c.interval_count,
            prices.c.usage_type,
        )
        .join(prices, prices.c.id == subscription_items.c.price_id)
        .where(subscription_items.c.subscription_id.in_(subscription_ids))
        .order_by(subscription_items.c.created, subscription_items.c.id)
    )


async def _children(db: Database, table: Table, column: str, ids: Sequence[str]) -> list[Row]:
    if not ids:
        return []
    return await db.fetch_all(select(table).where(table.c[column].in_(ids)))


async def discounts_of(db: Database, subscription_ids: Sequence[str], at: int) -> list[Row]:
    """The discounts in force at `at` on these subscriptions (`id`, `subscription_id`)."""
    if not subscription_ids:
        return []
    return await db.fetch_all(
        select(discounts.c.id, discounts.c.subscription_id)
        .where(
            discounts.c.subscription_id.in_(subscription_ids),
            discounts.c.start <= at,
            or_(discounts.c.end.is_(None), discounts.c.end > at),
        )
        .order_by(discounts.c.start, discounts.c.id)
    )
