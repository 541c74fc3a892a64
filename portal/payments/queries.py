"""The test processor's SQL: the simulated payment network's own memory of charges (by
idempotency key) and of hosted card entries, across customers, as a processor's is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.db import Database, Row
from portal.tables import processor_charges, processor_setups


async def charge(db: Database, idempotency_key: str) -> Row | None:
    return await db.fetch_one(
        select(processor_charges).where(processor_charges.c.idempotency_key == idempotency_key)
    )


async def insert_charge(db: Database, **values: Any) -> Row:
    """Record a charge under its key, unless one is recorded already: the charge recorded
    under the key, whoever recorded it (two requests with one key make one charge)."""
    insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(processor_charges)
    await db.execute(insert.values(**values).on_conflict_do_nothing())
    recorded = await charge(db, values["idempotency_key"])
    assert recorded is not None
    return recorded


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


async def insert_setup(db: Database, **values: Any) -> None:
    await db.execute(processor_setups.insert().values(**values))


async def setup(db: Database, setup_id: str) -> Row | None:
    return await db.fetch_one(select(processor_setups).where(processor_setups.c.id == setup_id))


async def finish_setup(db: Database, setup_id: str, values: dict[str, Any]) -> bool:
    """Complete an open setup; False when it was already completed or canceled."""
    row = await db.fetch_one(
        update(processor_setups)
        .where(processor_setups.c.id == setup_id, processor_setups.c.status == "open")
        .values(**values)
        .returning(processor_setups.c.id)
    )
    return row is not None


async def hold_for_authentication(db: Database, setup_id: str, card: dict[str, Any] | None) -> None:
    """Keep an open setup's card until the customer authenticates (None: forget it)."""
    values = (
        {**card, "authentication": "required"}
        if card
        else dict.fromkeys(
            ("brand", "last4", "exp_month", "exp_year", "fingerprint", "authentication")
        )
    )
    await db.execute(
        update(processor_setups)
        .where(processor_setups.c.id == setup_id, processor_setups.c.status == "open")
        .values(**values)
    )


async def settle_authentication(db: Database, idempotency_key: str, outcome: str) -> None:
    """The owner completed (or failed) the authentication a payment waited for."""
    await db.execute(
        update(processor_charges)
        .where(
            processor_charges.c.idempotency_key == idempotency_key,
            processor_charges.c.outcome == "requires_action",
        )
        .values(outcome=outcome)
    )
