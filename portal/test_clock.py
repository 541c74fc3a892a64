"""Test mode's shared clock: `portal clock advance` moves time for every process at once.

The offset lives in the database; the web process (in debug) and the worker read it before
each round, so a merchant can try a month of renewals in seconds."""

from __future__ import annotations

from sqlalchemy import select

from portal import clock
from portal.db import Database
from portal.tables import test_clock


async def offset(db: Database) -> int | None:
    """The shared offset, or None when `portal clock advance` was never used."""
    value = await db.fetch_val(select(test_clock.c.offset_seconds).where(test_clock.c.id == 1))
    return None if value is None else int(value)


async def sync(db: Database) -> None:
    shared = await offset(db)
    if shared is not None:
        clock.set_offset(shared)


async def advance(db: Database, seconds: int) -> int:
    async with db.transaction():
        new = (await offset(db) or 0) + seconds
        await db.execute(test_clock.delete())
        await db.execute(test_clock.insert().values(id=1, offset_seconds=new))
    clock.set_offset(new)
    return new


def parse_duration(text: str) -> int:
    """`90s`, `45m`, `12h`, `30d` or plain seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)
