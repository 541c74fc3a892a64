"""The delivery machinery mail shares with webhooks: claimed once, backed off, given up."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select

from portal import clock, mail
from portal.db import Database, Row
from portal.delivery import deliver_due
from portal.tables import outbox_emails as outbox


async def queue(db: Database, count: int) -> None:
    for n in range(count):
        await mail.queue(
            db,
            to=f"m{n}@example.com",
            template="test",
            locale="en",
            context={"business_name": "Tessellate"},
            test_mode=False,
        )


async def rows(db: Database) -> list[Row]:
    return await db.fetch_all(select(outbox).order_by(outbox.c.to_address))


async def test_two_senders_never_attempt_the_same_message(db: Database, database_url: str) -> None:
    await queue(db, 40)
    attempted: list[str] = []

    async def slow(row: Row) -> None:
        attempted.append(row["id"])
        await asyncio.sleep(0.001)

    other = Database(database_url)
    await other.connect()
    try:
        sent = await asyncio.gather(
            *(deliver_due(d, mail.OUTBOX, slow, limit=15) for d in (db, other, db, other))
        )
    finally:
        await other.disconnect()
    assert sum(sent) == 40 and sorted(attempted) == sorted(set(attempted))
    assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in await rows(db))


async def test_failures_back_off_then_give_up(db: Database) -> None:
    clock.freeze()
    await queue(db, 1)

    async def failing(row: Row) -> None:
        raise ConnectionRefusedError("no server")

    for attempt in range(mail.GIVE_UP_AFTER):
        assert await deliver_due(db, mail.OUTBOX, failing) == 0
        [row] = await rows(db)
        assert row["attempts"] == attempt + 1
        assert row["next_attempt_at"] == clock.timestamp() + mail.OUTBOX.retry_in(attempt)
        assert "ConnectionRefusedError" in row["last_error"]
        assert await deliver_due(db, mail.OUTBOX, failing) == 0  # not due again yet
        clock.advance(mail.OUTBOX.retry_in(attempt))
    [row] = await rows(db)
    assert row["gave_up_at"] is not None and row["sent_at"] is None
    clock.advance(86400)
    assert await deliver_due(db, mail.OUTBOX, failing) == 0
    assert (await rows(db))[0]["attempts"] == mail.GIVE_UP_AFTER


async def test_a_sender_stopped_mid_attempt_leaves_a_claim_that_runs_out(db: Database) -> None:
    clock.freeze()
    await queue(db, 1)

    async def stopped(row: Row) -> None:
        raise asyncio.CancelledError  # the process ends during the attempt

    with contextlib.suppress(asyncio.CancelledError):
        await deliver_due(db, mail.OUTBOX, stopped)
    delivered: list[str] = []

    async def works(row: Row) -> None:
        delivered.append(row["id"])

    assert await deliver_due(db, mail.OUTBOX, works) == 0  # still claimed
    clock.advance(mail.OUTBOX.claim_seconds)
    assert await deliver_due(db, mail.OUTBOX, works) == 1
