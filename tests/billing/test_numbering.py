"""Invoice numbers continue the business's own sequence, one number per invoice, always."""

from __future__ import annotations

from sqlalchemy import select

from portal.billing import renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import invoices
from tests import factories
from tests.billing.test_renewals import cycle_invoices, setup, two_workers


async def test_new_invoices_continue_the_imported_numbers(db: Database) -> None:
    [data] = await setup(db)
    customer = data["sub"]["customer"]
    history = [
        factories.invoice(customer, 2500, number=f"QMA-{n:04d}", created=1_700_000_000 + n)
        for n in (1, 2, 78)
    ]
    history.append(factories.invoice(customer, 2500, number="OLD-0200", created=1_600_000_000))
    await factories.seed(db, invoices=history)
    await renewals.run_due(db, TestProcessor(db))
    [invoice] = await cycle_invoices(db, data["sub"]["id"])
    assert invoice["number"] == "QMA-0079"


async def test_numbers_stay_unique_and_unbroken_with_two_workers(
    db: Database, database_url: str
) -> None:
    data = await setup(db, count=30)
    await factories.seed(
        db, invoices=[factories.invoice(data[0]["sub"]["customer"], 100, number="QMA-0100")]
    )
    await two_workers(db, database_url)
    numbers = [
        row["number"]
        for row in await db.fetch_all(
            select(invoices.c.number).where(invoices.c.billing_reason == "subscription_cycle")
        )
    ]
    assert sorted(numbers) == [f"QMA-{n:04d}" for n in range(101, 131)]
