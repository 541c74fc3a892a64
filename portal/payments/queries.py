"""The test processor's SQL: the simulated payment network's own memory of charges, by
idempotency key (across customers, as a processor's is)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from portal.db import Database, Row
from portal.tables import processor_charges


async def charge(db: Database, idempotency_key: str) -> Row | None:
    return await db.fetch_one(
        select(processor_charges).where(processor_charges.c.idempotency_key == idempotency_key)
    )


async def insert_charge(db: Database, **values: Any) -> None:
    await db.execute(processor_charges.insert().values(**values))


async def refund(db: Database, idempotency_key: str, now: int) -> None:
    await db.execute(
        update(processor_charges)
        .where(
            processor_charges.c.idempotency_key == idempotency_key,
            processor_charges.c.outcome == "succeeded",
            processor_charges.c.refunded_at.is_(None),
        )
        .values(refunded_at=now)
    )
