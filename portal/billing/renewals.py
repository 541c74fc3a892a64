"""The billing clock: what the passing of time does to subscriptions.

At the end of each period a subscription is renewed (one invoice per subscription and period),
ended if it was set to end (with a final invoice for adjustments still waiting), or moved to
a change that was scheduled; trials end; a period that falls in a pause gets a void invoice,
and pauses end on their date. What happens is `next_invoice` — the
computation the overview and previews announce — so the invoice written is the one announced.
Each step is one transaction on one locked subscription, so several workers share the work
(PostgreSQL skips rows another worker holds) and a worker killed half-way leaves nothing
half-written. Invoices are charged afterwards, in steps of their own (collection.py).
"""

from __future__ import annotations

import logging

from portal import clock, objects
from portal.billing import across_customers, collection, events, invoices, queries, upcoming
from portal.billing.upcoming import RENEWING, Kind
from portal.core.statuses import SubscriptionStatus
from portal.db import Database, Row
from portal.payments.processor import PaymentProcessor

log = logging.getLogger("portal.billing")


async def renew(db: Database, subscription_id: str) -> bool:
    """Move one subscription past its period end; False when there was nothing to do (or
    another worker holds it)."""
    async with db.transaction():
        sub = await across_customers.lock_due_subscription(
            db, subscription_id, RENEWING, clock.timestamp()
        )
        if sub is None:
            return False
        billing, scheduled = await upcoming.load(db, sub, at=sub["current_period_end"])
        next_ = upcoming.next_invoice(billing, scheduled)
        assert next_ is not None
        if next_.kind == Kind.FINAL:
            await _end(db, sub)
        else:
            await _move_on(db, sub, next_, changed_item=scheduled is not None)
        invoice = next_.draft or next_.voided
        if invoice is not None:
            await invoices.write(
                db,
                invoice,
                customer_id=sub["customer_id"],
                subscription_id=sub["id"],
                billing_reason="subscription_cycle",
                period_start=next_.at,
                period_end=next_.period_end or next_.at,
                discount_id=next_.discount.id if next_.discount else None,
                pending_item_ids=billing.pending_item_ids if next_.draft else None,
                auto_collect=sub["collection_method"] == "charge_automatically",
                void=next_.draft is None,
            )
        return True


async def resume(db: Database, subscription_id: str) -> bool:
    """End a pause whose date has come; False when there was nothing to do (or another worker
    holds it)."""
    now = clock.timestamp()
    async with db.transaction():
        sub = await across_customers.lock_pause_to_end(db, subscription_id, now)
        if sub is None:
            return False
        await queries.set_subscription(
            db,
            sub["customer_id"],
            sub["id"],
            {"pause_collection": None, "version": sub["version"] + 1},
        )
        await events.record(
            db,
            "customer.subscription.updated",
            await objects.subscription(db, sub["id"]),
            {"pause_collection": sub["pause_collection"]},
        )
        return True


async def _end(db: Database, sub: Row) -> None:
    end = sub["current_period_end"]
    await queries.set_subscription(
        db,
        sub["customer_id"],
        sub["id"],
        {
            "status": SubscriptionStatus.CANCELED,
            "ended_at": end,
            "canceled_at": sub["canceled_at"] or end,
            "version": sub["version"] + 1,
        },
    )
    await events.record(
        db, "customer.subscription.deleted", await objects.subscription(db, sub["id"])
    )


async def _move_on(db: Database, sub: Row, next_: upcoming.Upcoming, *, changed_item: bool) -> None:
    if changed_item:
        item = next_.items[0]
        await queries.replace_item(
            db, sub["customer_id"], sub["id"], str(item.item_id), item.price_id, item.quantity
        )
    start, end = next_.at, next_.period_end
    status = (
        SubscriptionStatus.PAST_DUE
        if sub["status"] == SubscriptionStatus.PAST_DUE
        else SubscriptionStatus.ACTIVE
    )
    await queries.set_subscription(
        db,
        sub["customer_id"],
        sub["id"],
        {
            "current_period_start": start,
            "current_period_end": end,
            "status": status,
            "pending_update": None,
            "pause_collection": sub["pause_collection"] if next_.kind == Kind.PAUSED else None,
            "version": sub["version"] + 1,
        },
    )
    await events.record(
        db,
        "customer.subscription.updated",
        await objects.subscription(db, sub["id"]),
        {
            "current_period_start": sub["current_period_start"],
            "current_period_end": start,
            "status": sub["status"],
        },
    )


async def run_due(
    db: Database,
    processor: PaymentProcessor,
    *,
    limit: int = 100,
    mailer: collection.Mailer | None = None,
) -> int:
    """One pass of the clock: renew what is due (catching up several periods if needed),
    then charge what is due. Returns how many subscriptions moved."""
    moved = 0
    while True:
        due = await across_customers.due_subscription_ids(db, RENEWING, clock.timestamp(), limit)
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
    for subscription_id in await across_customers.pauses_to_end(db, clock.timestamp(), limit):
        await resume(db, subscription_id)
    await collection.settle_unfinished(db, processor, clock.timestamp(), limit)
    await collection.collect_due(db, processor, clock.timestamp(), limit, mailer)
    return moved
