"""The portal's records in Stripe's shapes: what the API answers and what events carry.

An event is written in the transaction of the change it reports, with its object read back
as the change left it (`shapes` builds an object from rows, `queries` reads them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from portal import clock
from portal.db import Database, Row
from portal.objects import queries, shapes
from portal.tables import customers, invoices, payment_methods, subscriptions


async def customer(db: Database, customer_id: str) -> dict[str, Any]:
    row = await _row(db, customers, customer_id)
    return shapes.customer(row, await queries.tax_ids_of(db, [customer_id]))


async def subscription(db: Database, subscription_id: str) -> dict[str, Any]:
    row = await _row(db, subscriptions, subscription_id)
    discounts = await queries.discounts_of(db, [subscription_id], clock.timestamp())
    items = await queries.items_of(db, [subscription_id])
    return shapes.subscription(row, items, [d["id"] for d in discounts])


async def invoice(db: Database, invoice_id: str) -> dict[str, Any]:
    row = await _row(db, invoices, invoice_id)
    return shapes.invoice(row, await queries.lines_of(db, [invoice_id]))


async def payment_method(db: Database, payment_method_id: str) -> dict[str, Any]:
    return shapes.payment_method(await _row(db, payment_methods, payment_method_id))


async def _row(db: Database, table: Table, record_id: str) -> Row:
    row = await queries.row(db, table, record_id)
    assert row is not None, f"no {table.name} {record_id}"
    return row
