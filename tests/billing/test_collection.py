"""A charge is committed before it is made and recorded after: a process stopped in between
never makes the customer pay twice, and what it left is finished with the same key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal import clock
from portal.billing import collection, events, renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import invoices as invoice_table
from portal.tables import processor_charges
from tests.billing.test_renewals import cycle_invoices, setup


async def charges(db: Database) -> list[dict[str, Any]]:
    return await db.fetch_all(select(processor_charges))


class Stopped(RuntimeError):
    """The process stops here (a kill between the charge and its record)."""


async def test_a_renewal_charge_whose_record_was_lost_is_not_taken_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    [data] = await setup(db)
    original = events.record

    async def stopped(db_: Database, type_: str, *args: Any, **kwargs: Any) -> None:
        if type_ == "invoice.paid":
            raise Stopped()
        await original(db_, type_, *args, **kwargs)

    monkeypatch.setattr(events, "record", stopped)
    with pytest.raises(Stopped):
        await renewals.run_due(db, TestProcessor(db))
    [invoice] = await cycle_invoices(db, data["sub"]["id"])
    assert invoice["status"] == "open" and invoice["charge_key"] is not None
    assert len(await charges(db)) == 1  # the money moved; its record did not
    monkeypatch.undo()
    await renewals.run_due(db, TestProcessor(db))  # too early: the charge is still claimed
    assert (await cycle_invoices(db, data["sub"]["id"]))[0]["status"] == "open"
    clock.advance(collection.CLAIM_SECONDS)
    await renewals.run_due(db, TestProcessor(db))
    [invoice] = await cycle_invoices(db, data["sub"]["id"])
    assert (invoice["status"], invoice["attempt_count"]) == ("paid", 1)
    assert len(await charges(db)) == 1


async def test_the_invoice_is_committed_before_the_charge(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    [data] = await setup(db)
    seen: list[dict[str, Any] | None] = []
    charge = TestProcessor.charge

    async def watching(
        self: TestProcessor,
        method: Any,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str | None = None,
    ) -> Any:
        # Another connection sees the invoice and the key before any money moves.
        seen.append(
            await self.db.fetch_one(
                select(invoice_table).where(invoice_table.c.charge_key == idempotency_key)
            )
        )
        return await charge(self, method, amount, currency, idempotency_key, return_url)

    monkeypatch.setattr(TestProcessor, "charge", watching)
    await renewals.run_due(db, TestProcessor(db))
    assert seen and seen[0] is not None and seen[0]["status"] == "open"
    assert (await cycle_invoices(db, data["sub"]["id"]))[0]["status"] == "paid"
