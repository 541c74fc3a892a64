"""The billing clock: renewals, trials, scheduled changes, cancellations, pauses, dunning."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.billing import collection, events, renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import events as event_table
from portal.tables import invoice_items, invoices, processor_charges, subscriptions
from tests import factories

DAY = 86400


async def setup(
    db: Database, *, last4: str = "4242", count: int = 1, **subscription: Any
) -> list[dict[str, Any]]:
    clock.freeze(1_800_000_000)
    now = clock.timestamp()
    prod = factories.product(name="Team")
    monthly = factories.price(prod["id"], unit_amount=2500)
    cheaper = factories.price(prod["id"], unit_amount=1500)
    rows: dict[str, list[Any]] = {"customers": [], "payment_methods": [], "subscriptions": []}
    for _ in range(count):
        cus = factories.customer()
        pm = factories.card(
            cus["id"], card={"brand": "visa", "last4": last4, "exp_month": 1, "exp_year": 2040}
        )
        cus["invoice_settings"] = {"default_payment_method": pm["id"]}
        sub = factories.subscription(
            cus["id"],
            monthly["id"],
            **{
                "current_period_start": now - 30 * DAY,
                "current_period_end": now - 1,
                **subscription,
            },
        )
        rows["customers"].append(cus)
        rows["payment_methods"].append(pm)
        rows["subscriptions"].append(sub)
    await factories.seed(db, products=[prod], prices=[monthly, cheaper], **rows)
    return [{"sub": s, "cheaper": cheaper, "monthly": monthly} for s in rows["subscriptions"]]


async def sub_row(db: Database, sub_id: str) -> dict[str, Any]:
    row = await db.fetch_one(select(subscriptions).where(subscriptions.c.id == sub_id))
    assert row is not None
    return row


async def cycle_invoices(db: Database, sub_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        select(invoices)
        .where(
            invoices.c.subscription_id == sub_id, invoices.c.billing_reason == "subscription_cycle"
        )
        .order_by(invoices.c.period_start)
    )


async def two_workers(db: Database, database_url: str) -> None:
    """One pass of the billing clock by two workers at once, each with its own connection."""
    other = Database(database_url)
    await other.connect()
    try:
        await asyncio.gather(
            renewals.run_due(db, TestProcessor(db)), renewals.run_due(other, TestProcessor(other))
        )
    finally:
        await other.disconnect()


class TestRenewal:
    async def test_period_end_invoices_charges_and_moves_on(self, db: Database) -> None:
        [data] = await setup(db)
        sub = data["sub"]
        assert await renewals.run_due(db, TestProcessor(db)) == 1
        [invoice] = await cycle_invoices(db, sub["id"])
        assert (invoice["status"], invoice["amount_paid"]) == ("paid", 2500)
        assert invoice["period_start"] == sub["current_period_end"]
        row = await sub_row(db, sub["id"])
        assert row["current_period_start"] == sub["current_period_end"]
        assert row["current_period_end"] > clock.timestamp()
        assert await renewals.run_due(db, TestProcessor(db)) == 0  # nothing twice

    async def test_a_stopped_clock_catches_up_period_by_period(self, db: Database) -> None:
        [data] = await setup(db)
        clock.advance(75 * DAY)  # the periods that began at -1 s, +30 d and +58 d
        assert await renewals.run_due(db, TestProcessor(db)) == 3
        periods = [i["period_start"] for i in await cycle_invoices(db, data["sub"]["id"])]
        assert len(periods) == len(set(periods)) == 3

    async def test_pending_prorations_join_the_renewal(self, db: Database) -> None:
        [data] = await setup(db)
        sub = data["sub"]
        await db.execute(
            invoice_items.insert().values(
                id="ii_t1",
                customer_id=sub["customer"],
                subscription_id=sub["id"],
                currency="eur",
                amount=-700,
                proration=True,
                created=clock.timestamp(),
                description="Unused time",
            )
        )
        await renewals.run_due(db, TestProcessor(db))
        [invoice] = await cycle_invoices(db, sub["id"])
        assert (invoice["subtotal"], invoice["amount_paid"]) == (1800, 1800)

    async def test_trials_end(self, db: Database) -> None:
        [data] = await setup(db, status="trialing", trial_end=1_800_000_000 - 1)
        await renewals.run_due(db, TestProcessor(db))
        assert (await sub_row(db, data["sub"]["id"]))["status"] == "active"
        assert len(await cycle_invoices(db, data["sub"]["id"])) == 1

    async def test_scheduled_changes_take_effect(self, db: Database) -> None:
        [data] = await setup(db)
        sub = data["sub"]
        await db.execute(
            subscriptions.update()
            .where(subscriptions.c.id == sub["id"])
            .values(pending_update={"price": data["cheaper"]["id"], "quantity": 2})
        )
        await renewals.run_due(db, TestProcessor(db))
        [invoice] = await cycle_invoices(db, sub["id"])
        assert invoice["amount_paid"] == 3000
        assert (await sub_row(db, sub["id"]))["pending_update"] is None

    async def test_cancellation_at_period_end(self, db: Database) -> None:
        [data] = await setup(db, cancel_at_period_end=True)
        await renewals.run_due(db, TestProcessor(db))
        row = await sub_row(db, data["sub"]["id"])
        assert row["status"] == "canceled" and row["ended_at"] == data["sub"]["current_period_end"]
        assert await cycle_invoices(db, data["sub"]["id"]) == []

    async def test_periods_in_a_pause_get_void_invoices_and_the_pause_ends_on_its_date(
        self, db: Database
    ) -> None:
        resumes_at = 1_800_000_000 + 40 * DAY
        [data] = await setup(db, pause_collection={"behavior": "void", "resumes_at": resumes_at})
        sub_id = data["sub"]["id"]
        await renewals.run_due(db, TestProcessor(db))
        [voided] = await cycle_invoices(db, sub_id)
        assert voided["status"] == "void" and voided["amount_paid"] == 0 and voided["number"]
        assert await db.fetch_val(select(func.count()).select_from(processor_charges)) == 0
        clock.advance(40 * DAY - 1)  # one second before the pause ends: still paused
        await renewals.run_due(db, TestProcessor(db))
        assert (await sub_row(db, sub_id))["pause_collection"]["resumes_at"] == resumes_at
        clock.advance(1)
        await renewals.run_due(db, TestProcessor(db))
        assert (await sub_row(db, sub_id))["pause_collection"] is None
        resumed = await db.fetch_one(
            select(event_table)
            .where(event_table.c.type == "customer.subscription.updated")
            .order_by(event_table.c.created.desc())
            .limit(1)
        )
        assert resumed is not None and resumed["data"]["pause_collection"] is None
        assert resumed["previous_attributes"]["pause_collection"]["resumes_at"] == resumes_at
        clock.advance(25 * DAY)  # the period after the pause is invoiced and paid
        await renewals.run_due(db, TestProcessor(db))
        statuses = [i["status"] for i in await cycle_invoices(db, sub_id)]
        assert sorted(statuses) == ["paid", "void", "void"]


class TestDunning:
    async def test_failed_charges_go_past_due_and_are_retried(self, db: Database) -> None:
        [data] = await setup(db, last4="0002")
        sub = data["sub"]
        await renewals.run_due(db, TestProcessor(db))
        [invoice] = await cycle_invoices(db, sub["id"])
        assert invoice["status"] == "open" and invoice["attempt_count"] == 1
        assert (await sub_row(db, sub["id"]))["status"] == "past_due"
        clock.advance(collection.RETRY_DELAYS[0] - 60)
        await renewals.run_due(db, TestProcessor(db))
        assert (await cycle_invoices(db, sub["id"]))[0]["attempt_count"] == 1  # not yet
        # The customer fixes their card; the next try succeeds.
        from portal.tables import payment_methods

        await db.execute(payment_methods.update().values(last4="4242"))
        clock.advance(120)
        await renewals.run_due(db, TestProcessor(db))
        [invoice] = await cycle_invoices(db, sub["id"])
        assert (invoice["status"], invoice["attempt_count"]) == ("paid", 2)
        assert (await sub_row(db, sub["id"]))["status"] == "active"

    async def test_tries_stop_after_the_last_delay(self, db: Database) -> None:
        [data] = await setup(db, last4="0002")
        for _ in range(len(collection.RETRY_DELAYS) + 2):
            await collection.collect_due(db, TestProcessor(db), clock.timestamp())
            await renewals.run_due(db, TestProcessor(db))
            clock.freeze(clock.timestamp() + 8 * DAY - 1)
        invoice = (await cycle_invoices(db, data["sub"]["id"]))[0]
        assert invoice["attempt_count"] == len(collection.RETRY_DELAYS) + 1
        assert invoice["next_payment_attempt"] is None


class TestSafety:
    async def test_two_workers_make_one_invoice_each(self, db: Database, database_url: str) -> None:
        data = await setup(db, count=30)
        await two_workers(db, database_url)
        for item in data:
            [invoice] = await cycle_invoices(db, item["sub"]["id"])
            assert invoice["status"] == "paid"
        charges = await db.fetch_val(select(func.count()).select_from(processor_charges))
        assert charges == 30

    async def test_two_workers_void_and_resume_each_pause_once(
        self, db: Database, database_url: str
    ) -> None:
        resumes_at = 1_800_000_000 + 10 * DAY
        data = await setup(
            db, count=20, pause_collection={"behavior": "void", "resumes_at": resumes_at}
        )
        await two_workers(db, database_url)
        clock.advance(10 * DAY)
        await two_workers(db, database_url)
        for item in data:
            [voided] = await cycle_invoices(db, item["sub"]["id"])
            assert voided["status"] == "void"
            assert (await sub_row(db, item["sub"]["id"]))["pause_collection"] is None
        resumed = await db.fetch_val(
            select(func.count())
            .select_from(event_table)
            .where(event_table.c.type == "customer.subscription.updated")
            .where(event_table.c.created == resumes_at)
        )
        assert resumed == 20
        assert await db.fetch_val(select(func.count()).select_from(processor_charges)) == 0

    async def test_a_renewal_killed_half_way_leaves_nothing_and_is_redone(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [data] = await setup(db)
        original = events.record

        async def killed(db_: Database, type_: str, *args: Any, **kwargs: Any) -> None:
            if type_ == "invoice.created":
                raise SystemExit("worker killed")
            await original(db_, type_, *args, **kwargs)

        monkeypatch.setattr(events, "record", killed)
        with pytest.raises(SystemExit):
            await renewals.renew(db, data["sub"]["id"])
        assert await cycle_invoices(db, data["sub"]["id"]) == []
        assert (await sub_row(db, data["sub"]["id"]))["current_period_end"] == data["sub"][
            "current_period_end"
        ]
        monkeypatch.undo()
        await renewals.run_due(db, TestProcessor(db))
        assert len(await cycle_invoices(db, data["sub"]["id"])) == 1

    async def test_a_charge_interrupted_is_not_taken_twice(self, db: Database) -> None:
        [data] = await setup(db)
        assert await renewals.renew(db, data["sub"]["id"])  # killed before collecting
        [invoice] = await cycle_invoices(db, data["sub"]["id"])
        processor = TestProcessor(db)
        await processor.charge(
            {"id": "pm_x", "last4": "4242"},
            invoice["amount_due"],
            "eur",
            idempotency_key=f"{invoice['id']}:1",
        )  # it reached the network
        await renewals.run_due(db, TestProcessor(db))
        assert await db.fetch_val(select(func.count()).select_from(processor_charges)) == 1
        assert (await cycle_invoices(db, data["sub"]["id"]))[0]["status"] == "paid"
