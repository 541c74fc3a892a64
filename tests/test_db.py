"""The database handle: one held SQLite connection, all-or-nothing transactions, schema."""

from __future__ import annotations

import asyncio

import databases.backends.sqlite
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from portal import migrations
from portal.db import Database
from portal.tables import customers, metadata
from tests import factories


async def test_sqlite_holds_one_connection(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL uses asyncpg's pool")
    opened = 0
    acquire = databases.backends.sqlite.SQLitePool.acquire

    async def counting_acquire(self: object) -> object:
        nonlocal opened
        opened += 1
        return await acquire(self)  # type: ignore[arg-type]

    monkeypatch.setattr(databases.backends.sqlite.SQLitePool, "acquire", counting_acquire)
    db = Database(database_url)
    await db.connect()
    try:

        async def reads() -> None:
            for _ in range(20):
                await db.fetch_val(select(func.count()).select_from(customers))

        await asyncio.gather(*(reads() for _ in range(5)))  # 100 queries from 5 tasks
        async with db.transaction():
            await db.fetch_all(select(customers))
    finally:
        await db.disconnect()
    assert opened == 1


async def test_a_failed_transaction_writes_nothing(db: Database) -> None:
    row = factories.customer()
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await factories.seed(db, customers=[row])
            raise RuntimeError("killed half-way")
    assert await db.fetch_val(select(func.count()).select_from(customers)) == 0


async def test_concurrent_transactions_do_not_interleave(db: Database) -> None:
    """Read-modify-write in a transaction from many tasks loses no update."""
    cus = factories.customer(balance=0)
    await factories.seed(db, customers=[cus])
    query = select(customers.c.balance).where(customers.c.id == cus["id"])
    if not db.is_sqlite:
        query = query.with_for_update()

    async def add_one() -> None:
        async with db.transaction():
            balance = await db.fetch_val(query)
            await asyncio.sleep(0)
            await db.execute(
                customers.update().where(customers.c.id == cus["id"]).values(balance=balance + 1)
            )

    await asyncio.gather(*(add_one() for _ in range(20)))
    assert await db.fetch_val(query) == 20


async def test_migrations_match_the_tables(database_url: str) -> None:
    """The migrated schema is exactly portal/tables.py, on each database."""
    engine = create_async_engine(migrations.sqlalchemy_url(database_url))

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []


async def test_statements_of_one_shape_are_compiled_once_and_stay_correct(db: Database) -> None:
    rows = [factories.customer(name=f"N{n}") for n in range(5)]
    await factories.seed(db, customers=rows)
    backend = db._db._backend
    shapes = len(backend._cache._compiled)
    for row in rows:  # one shape, five values
        found = await db.fetch_one(select(customers).where(customers.c.id == row["id"]))
        assert found is not None and found["name"] == row["name"]
    assert len(backend._cache._compiled) == shapes + 1
    # IN lists of varying length take the uncached path, and still work.
    for size in (1, 3, 5):
        ids = [r["id"] for r in rows[:size]]
        found_rows = await db.fetch_all(select(customers.c.id).where(customers.c.id.in_(ids)))
        assert sorted(r["id"] for r in found_rows) == sorted(ids)
