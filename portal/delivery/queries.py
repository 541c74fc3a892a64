"""Delivery SQL, across customers: an outbox is worked through whoever the messages are for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Table, and_, or_, update

from portal.db import Database, Row

if TYPE_CHECKING:
    from portal.delivery import Failure, Outbox


async def claim_due(db: Database, outbox: Outbox, now: int, limit: int) -> list[Row]:
    """Take up to `limit` due messages for one attempt each, oldest first."""
    table = outbox.table
    due = and_(
        table.c[outbox.delivered].is_(None),
        table.c.gave_up_at.is_(None),
        table.c.next_attempt_at <= now,
        unclaimed(table, now),
        *outbox.due(now),
    )
    chosen = (
        table.select()
        .with_only_columns(table.c.id)
        .where(due)
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if not db.is_sqlite:
        chosen = chosen.with_for_update(skip_locked=True)
    # A CTE, not `id IN (…)`: PostgreSQL may run an IN subquery with LIMIT more than once.
    batch = chosen.cte("batch")
    rows = await db.fetch_all(
        update(table)
        .where(table.c.id == batch.c.id, due)
        .values(claimed_until=now + outbox.claim_seconds)
        .returning(*table.c)
    )
    return sorted(rows, key=lambda row: (row["created"], row["id"]))


async def record_failure(
    db: Database, outbox: Outbox, row: Row, failure: Failure, now: int
) -> None:
    attempts = row["attempts"] + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": failure.error,
        "next_attempt_at": now + outbox.retry_in(row["attempts"]),
        "claimed_until": None,
    }
    if failure.about_destination:
        values["last_attempt_at"] = now
    if attempts >= outbox.give_up_after:
        values["gave_up_at"] = now
    await db.execute(update(outbox.table).where(outbox.table.c.id == row["id"]).values(**values))


async def record_delivery(db: Database, outbox: Outbox, row: Row, now: int) -> None:
    await db.execute(
        update(outbox.table)
        .where(outbox.table.c.id == row["id"])
        .values(
            attempts=row["attempts"] + 1,
            last_attempt_at=now,
            last_error=None,
            claimed_until=None,
            **{outbox.delivered: now},
            **outbox.after_delivery(row, now),
        )
    )


async def release(db: Database, outbox: Outbox, ids: list[str]) -> None:
    """Claimed messages not attempted after all: free for the next round."""
    for message_id in ids:
        await db.execute(
            update(outbox.table).where(outbox.table.c.id == message_id).values(claimed_until=None)
        )


def unclaimed(table: Table, now: int) -> ColumnElement[bool]:
    """Not claimed by a sender, or its claim ran out (the sender stopped mid-attempt)."""
    return or_(table.c.claimed_until.is_(None), table.c.claimed_until <= now)
