"""Billing SQL across customers: the billing clock's work lists. Nothing here is for a page;
every other billing statement names its customer (billing/queries.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select

from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row
from portal.tables import invoices, subscriptions


async def due_subscription_ids(
    db: Database, statuses: Sequence[str], now: int, limit: int
) -> list[str]:
    """Across customers: subscriptions whose period has ended."""
    rows = await db.fetch_all(
        select(subscriptions.c.id)
        .where(
            or_(*(subscriptions.c.status == s for s in statuses)),
            subscriptions.c.current_period_end <= now,
        )
        .order_by(subscriptions.c.current_period_end)
        .limit(limit)
    )
    return [row["id"] for row in rows]


async def lock_due_subscription(
    db: Database, subscription_id: str, statuses: Sequence[str], now: int
) -> Row | None:
    """Across customers: the subscription if it is still due and no other worker holds it."""
    query = select(subscriptions).where(
        subscriptions.c.id == subscription_id,
        or_(*(subscriptions.c.status == s for s in statuses)),
        subscriptions.c.current_period_end <= now,
    )
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return await db.fetch_one(query)


def _pause_ended(now: int) -> ColumnElement[bool]:
    resumes_at = subscriptions.c.pause_collection["resumes_at"].as_integer()
    return and_(subscriptions.c.pause_collection.is_not(None), resumes_at <= now)


async def pauses_to_end(db: Database, now: int, limit: int) -> list[str]:
    """Across customers: subscriptions whose pause has reached its date."""
    rows = await db.fetch_all(select(subscriptions.c.id).where(_pause_ended(now)).limit(limit))
    return [row["id"] for row in rows]


async def lock_pause_to_end(db: Database, subscription_id: str, now: int) -> Row | None:
    """Across customers: the subscription if its pause is still to end and no other worker
    holds it."""
    query = select(subscriptions).where(subscriptions.c.id == subscription_id, _pause_ended(now))
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return await db.fetch_one(query)


async def collectable_invoices(db: Database, now: int, limit: int) -> list[Row]:
    """Across customers: open invoices whose next charge is due."""
    return await db.fetch_all(
        select(invoices.c.id, invoices.c.customer_id)
        .where(invoices.c.status == InvoiceStatus.OPEN, invoices.c.next_payment_attempt <= now)
        .order_by(invoices.c.next_payment_attempt)
        .limit(limit)
    )


async def unsettled_drafts(db: Database, started_before: int, limit: int) -> list[Row]:
    """Across customers: drafts whose payment was started but never recorded (the process
    that took it stopped)."""
    return await db.fetch_all(
        select(invoices.c.id, invoices.c.customer_id)
        .where(
            invoices.c.status == InvoiceStatus.DRAFT,
            invoices.c.charge_key.is_not(None),
            invoices.c.charge_started_at <= started_before,
        )
        .order_by(invoices.c.charge_started_at)
        .limit(limit)
    )


async def invoice_charging(db: Database, charge_key: str) -> Row | None:
    """Across customers: the invoice whose charge in flight has this key (a processor's
    webhook names the charge, not the customer)."""
    return await db.fetch_one(select(invoices).where(invoices.c.charge_key == charge_key))
