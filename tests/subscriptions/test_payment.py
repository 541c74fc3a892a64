"""Paying for a change: a process stopped between the charge and its record is finished once,
with the same key; a change overtaken while it is paid for is refunded."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from portal import clock
from portal.billing import changes, collection, renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import invoices as invoice_table
from portal.tables import processor_charges, subscriptions
from tests.shop import Shop
from tests.subscriptions.helpers import (
    confirm,
    item_row,
    new_invoices,
    preview,
    subscription_row,
)


class Stopped(RuntimeError):
    """The process stops here (a kill between the charge and its record)."""


async def charges(db: Database) -> list[dict[str, Any]]:
    return await db.fetch_all(select(processor_charges))


async def test_a_change_whose_payment_record_was_lost_is_finished_once(
    shop: Shop, client: AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await shop.customer(update={"proration_behavior": "always_invoice"})
    sub = data["subscription"]
    shown = await preview(client, sub, shop.prices["pro_month"]["id"])
    original = changes.write

    async def stopped(*args: Any, **kwargs: Any) -> None:
        raise Stopped()

    monkeypatch.setattr(changes, "write", stopped)
    done = await confirm(client, shown)
    assert done.status_code == 500
    # Charged, but neither the change nor the invoice was recorded: nothing shows yet.
    assert len(await charges(db)) == 1
    assert (await item_row(db, sub["id"]))["price_id"] == shop.prices["basic_month"]["id"]
    assert (
        await db.fetch_val(
            select(func.count())
            .select_from(invoice_table)
            .where(invoice_table.c.subscription_id == sub["id"], invoice_table.c.status != "draft")
        )
        == 1
    )
    monkeypatch.setattr(changes, "write", original)
    clock.advance(collection.CLAIM_SECONDS)
    await renewals.run_due(db, TestProcessor(db))  # the worker finishes it, same key
    assert len(await charges(db)) == 1
    assert (await item_row(db, sub["id"]))["price_id"] == shop.prices["pro_month"]["id"]
    [invoice] = await new_invoices(db, sub["id"])
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", 1333)
    assert invoice["number"] is not None


async def test_a_change_overtaken_by_the_clock_is_refunded(
    shop: Shop, client: AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await shop.customer(update={"proration_behavior": "always_invoice"})
    sub = data["subscription"]
    shown = await preview(client, sub, shop.prices["pro_month"]["id"])
    charge = TestProcessor.charge

    async def meanwhile(self: TestProcessor, *args: Any, **kwargs: Any) -> Any:
        # While the payment is made, something else moves the subscription on.
        row = await subscription_row(db, sub["id"])
        await db.execute(
            subscriptions.update()
            .where(subscriptions.c.id == sub["id"])
            .values(version=row["version"] + 1)
        )
        return await charge(self, *args, **kwargs)

    monkeypatch.setattr(TestProcessor, "charge", meanwhile)
    done = await confirm(client, shown)
    assert done.status_code == 409
    [taken] = await charges(db)
    assert taken["outcome"] == "succeeded" and taken["refunded_at"] is not None
    assert (await item_row(db, sub["id"]))["price_id"] == shop.prices["basic_month"]["id"]
    assert await new_invoices(db, sub["id"]) == []
