"""Billing-details SQL. Every statement names the customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from portal.db import Database, Row
from portal.tables import customers, tax_ids

DETAILS = (
    customers.c.id,
    customers.c.name,
    customers.c.email,
    customers.c.phone,
    customers.c.address,
    customers.c.shipping,
)


async def customer(db: Database, customer_id: str, *, lock: bool = False) -> Row | None:
    """The customer's details; with `lock`, held until the transaction ends (PostgreSQL)."""
    query = select(*DETAILS).where(customers.c.id == customer_id)
    if lock and not db.is_sqlite:
        query = query.with_for_update()
    return await db.fetch_one(query)


async def update_customer(db: Database, customer_id: str, values: dict[str, Any]) -> None:
    await db.execute(update(customers).where(customers.c.id == customer_id).values(**values))


async def tax_ids_of(db: Database, customer_id: str) -> list[Row]:
    """The customer's tax IDs, oldest first (the order invoices print them in)."""
    return await db.fetch_all(
        select(tax_ids)
        .where(tax_ids.c.customer_id == customer_id)
        .order_by(tax_ids.c.created, tax_ids.c.id)
    )


async def count_tax_ids(db: Database, customer_id: str) -> int:
    return int(
        await db.fetch_val(
            select(func.count()).select_from(tax_ids).where(tax_ids.c.customer_id == customer_id)
        )
    )


async def insert_tax_id(db: Database, values: dict[str, Any]) -> None:
    await db.execute(tax_ids.insert().values(**values))


async def tax_id(db: Database, customer_id: str, tax_id: str) -> Row | None:
    return await db.fetch_one(
        select(tax_ids).where(tax_ids.c.id == tax_id, tax_ids.c.customer_id == customer_id)
    )


async def delete_tax_id(db: Database, customer_id: str, tax_id: str) -> None:
    await db.execute(
        delete(tax_ids).where(tax_ids.c.id == tax_id, tax_ids.c.customer_id == customer_id)
    )
