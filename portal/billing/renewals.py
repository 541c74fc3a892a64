"""The billing clock: what the passing of time does to subscriptions.

At the end of each period a subscription is renewed (one invoice per subscription and period,
charged to its payment method), cancelled if it was set to end, or moved to a change that was
scheduled; trials end; pauses lapse; failed charges are tried again. Each step is one
transaction on one locked subscription, so several workers share the work (PostgreSQL skips
rows another worker holds) and a worker killed half-way leaves nothing half-written.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, select, update

from portal import clock
from portal.billing import events, invoices, money, queries
from portal.billing.invoices import Coupon, Draft
from portal.db import Database, Row
from portal.payments.processor import PaymentProcessor
from portal.tables import (
    customers,
    discounts,
    subscription_items,
    subscriptions,
)
from portal.tables import invoices as invoice_table

log = logging.getLogger("portal.billing")

RENEWING = ("active", "trialing", "past_due")


async def due_subscriptions(db: Database, now: int, limit: int = 100) -> list[str]:
    rows = await db.fetch_all(
        select(subscriptions.c.id)
        .where(subscriptions.c.status.in_(RENEWING), subscriptions.c.current_period_end <= now)
        .order_by(subscriptions.c.current_period_end).limit(limit))
    return [row["id"] for row in rows]


async def _lock(db: Database, subscription_id: str, now: int) -> Row | None:
    """The subscription if it is still due and no other worker holds it."""
    query = select(subscriptions).where(
        subscriptions.c.id == subscription_id, subscriptions.c.status.in_(RENEWING),
        subscriptions.c.current_period_end <= now)
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return await db.fetch_one(query)


async def renew(db: Database, subscription_id: str) -> bool:
    """Move one subscription past its period end; False when there was nothing to do (or
    another worker holds it). The invoice it makes is charged by `collect_due`."""
    now = clock.timestamp()
    async with db.transaction():
        sub = await _lock(db, subscription_id, now)
        if sub is None:
            return False
        start = sub["current_period_end"]
        if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= start):
            await db.execute(update(subscriptions).where(subscriptions.c.id == sub["id"]).values(
                status="canceled", ended_at=start, canceled_at=sub["canceled_at"] or start,
                version=sub["version"] + 1))
            await events.record(db, "customer.subscription.deleted", {"id": sub["id"]})
            return True
        change = sub["pending_update"]
        if change:
            await db.execute(subscription_items.update()
                             .where(subscription_items.c.subscription_id == sub["id"])
                             .values(price_id=change["price"], quantity=change["quantity"]))
        items = await queries.items(db, sub["id"])
        first = items[0]
        end = money.add_interval(start, first["interval"], first["interval_count"])
        pause = sub["pause_collection"]
        paused = bool(pause) and (pause.get("resumes_at") is None or pause["resumes_at"] > start)
        status = "past_due" if sub["status"] == "past_due" else "active"
        await db.execute(update(subscriptions).where(subscriptions.c.id == sub["id"]).values(
            current_period_start=start, current_period_end=end, status=status,
            pending_update=None, pause_collection=pause if paused else None,
            version=sub["version"] + 1))
        await events.record(db, "customer.subscription.updated",
                            {"id": sub["id"], "current_period_start": start,
                             "current_period_end": end, "status": status},
                            {"current_period_start": sub["current_period_start"],
                             "current_period_end": start, "status": sub["status"]})
        if not paused:  # invoices during a pause are voided: none is made
            await _invoice(db, sub, items, start, end)
        return True


async def _invoice(db: Database, sub: Row, items: list[Row], start: int, end: int) -> None:
    pending = await queries.pending_items(db, sub["id"])
    lines = [invoices.period_line(item, item["quantity"], start, end)
             for item in items if item["usage_type"] == "licensed"]
    lines += invoices.pending_lines(pending)
    discount = await queries.active_discount(db, sub["id"], start)
    balance = await db.fetch_val(select(customers.c.balance)
                                 .where(customers.c.id == sub["customer_id"]))
    draft = Draft(items[0]["currency"], lines, Coupon.of(discount), int(balance or 0))
    if discount is not None and discount["duration"] == "once":
        await db.execute(update(discounts).where(discounts.c.id == discount["discount_id"])
                         .values(end=start))
    await invoices.write(db, draft, customer_id=sub["customer_id"],
                         subscription_id=sub["id"], billing_reason="subscription_cycle",
                         period_start=start, period_end=end,
                         pending_item_ids=[row["id"] for row in pending],
                         auto_collect=sub["collection_method"] == "charge_automatically")


async def collect_due(db: Database, processor: PaymentProcessor, now: int,
                      limit: int = 100) -> int:
    """Charge open invoices whose next attempt has come; returns how many were paid."""
    rows = await db.fetch_all(
        select(invoice_table.c.id).where(
            invoice_table.c.status == "open", invoice_table.c.next_payment_attempt <= now)
        .order_by(invoice_table.c.next_payment_attempt).limit(limit))
    paid = 0
    for row in rows:
        paid += await collect(db, processor, row["id"])
    return paid


async def collect(db: Database, processor: PaymentProcessor, invoice_id: str) -> bool:
    async with db.transaction():
        query = select(invoice_table).where(
            invoice_table.c.id == invoice_id, invoice_table.c.status == "open",
            invoice_table.c.next_payment_attempt <= clock.timestamp())
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        invoice = await db.fetch_one(query)
        if invoice is None:
            return False
        sub = None
        if invoice["subscription_id"]:
            sub = await db.fetch_one(select(subscriptions).where(
                subscriptions.c.id == invoice["subscription_id"]))
        method = sub["default_payment_method_id"] if sub else None
        if method is None:
            method = await db.fetch_val(select(customers.c.default_payment_method_id)
                                        .where(customers.c.id == invoice["customer_id"]))
        paid = await invoices.collect(db, processor, invoice, method)
        if sub is not None:
            still_open = await db.fetch_val(select(invoice_table.c.id).where(and_(
                invoice_table.c.subscription_id == sub["id"], invoice_table.c.status == "open"
            )).limit(1))
            status = "active" if paid and still_open is None else "past_due"
            if sub["status"] in RENEWING and sub["status"] != status:
                await db.execute(update(subscriptions).where(subscriptions.c.id == sub["id"])
                                 .values(status=status))
        return paid


async def run_due(db: Database, processor: PaymentProcessor, *, limit: int = 100) -> int:
    """One pass of the clock: renew what is due (catching up several periods if needed),
    then charge what is due. Returns how many subscriptions moved."""
    moved = 0
    while True:
        due = await due_subscriptions(db, clock.timestamp(), limit)
        if not due:
            break
        progressed = 0
        for subscription_id in due:
            try:
                progressed += await renew(db, subscription_id)
            except Exception:
                log.exception("renewal of %s failed; it will be tried again", subscription_id)
        if not progressed:
            break  # the rest is held by other workers, or failing: next pass
        moved += progressed
    await collect_due(db, processor, clock.timestamp(), limit)
    return moved
