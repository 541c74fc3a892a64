"""The portal's records in Stripe's shapes: what the API answers and what events carry.

An event is written in the transaction of the change it reports, with its object read back
as the change left it (`shapes` builds an object from rows, `queries` reads them). The
`…_of(db, rows)` builders take a page of rows and read each kind of child once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from portal import clock
from portal.db import Database, Row
from portal.objects import queries, shapes
from portal.tables import customers, invoices, payment_methods, subscriptions


async def customer(db: Database, customer_id: str) -> dict[str, Any]:
    return await customer_of(db, await _row(db, customers, customer_id))


async def customer_of(db: Database, row: Row) -> dict[str, Any]:
    return shapes.customer(row, await queries.tax_ids_of(db, [row["id"]]))


async def subscription(db: Database, subscription_id: str) -> dict[str, Any]:
    [found] = await subscriptions_of(db, [await _row(db, subscriptions, subscription_id)])
    return found


async def subscriptions_of(db: Database, rows: list[Row]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    items = await queries.items_of(db, ids)
    discounts = await queries.discounts_of(db, ids, clock.timestamp())
    return [
        shapes.subscription(
            row,
            _children(items, "subscription_id", row),
            [d["id"] for d in _children(discounts, "subscription_id", row)],
        )
        for row in rows
    ]


async def invoice(db: Database, invoice_id: str) -> dict[str, Any]:
    [found] = await invoices_of(db, [await _row(db, invoices, invoice_id)])
    return found


async def invoices_of(db: Database, rows: list[Row]) -> list[dict[str, Any]]:
    lines = await queries.lines_of(db, [row["id"] for row in rows])
    return [shapes.invoice(row, _children(lines, "invoice_id", row)) for row in rows]


async def payment_method(db: Database, payment_method_id: str) -> dict[str, Any]:
    return shapes.payment_method(await _row(db, payment_methods, payment_method_id))


async def _row(db: Database, table: Table, record_id: str) -> Row:
    row = await queries.row(db, table, record_id)
    assert row is not None, f"no {table.name} {record_id}"
    return row


def _children(children: list[Row], column: str, parent: Row) -> list[Row]:
    return [child for child in children if child[column] == parent["id"]]
