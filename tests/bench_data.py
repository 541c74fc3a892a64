"""The benchmark's data at scale: 100,000 customers, each with a card, a subscription and
ten monthly invoices, plus one customer (`cus_b0`) with 10,000 invoices: DESIGN.md wants the
same latency for a customer with 10 invoices and one with 10,000.

Built with bulk inserts (the driver's executemany per chunk, all in one transaction), and kept: a
marker row records what was built, so a later run reuses a database that is up to date (same
data version, customer count and schema revision, built in the last few days: periods end a
month after the build) instead of building it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from portal import clock, migrations
from portal.tables import (
    customers,
    invoice_lines,
    invoices,
    payment_methods,
    portal_configurations,
    prices,
    products,
    subscription_items,
    subscriptions,
)

DATA_VERSION = 4  # bump when what build() writes changes
MAX_AGE = 7 * 86400
CHUNK = 5000
HEAVY_INVOICES = 10_000
INVOICES = 10  # per customer
MONTH = 30 * 86400
MARKER = "bench_marker"


def _marker(count: int) -> str:
    head = ScriptDirectory.from_config(migrations.alembic_config("sqlite://")).get_current_head()
    return f"v{DATA_VERSION} customers={count} schema={head}"


async def _built(url: str, count: int) -> bool:
    """Whether the database holds this data already, built recently enough."""
    engine = create_async_engine(migrations.sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text(f"SELECT value, built FROM {MARKER}"))).first()
    except Exception:  # no marker table: not built by this benchmark
        return False
    finally:
        await engine.dispose()
    return (
        row is not None and row[0] == _marker(count) and clock.timestamp() - int(row[1]) < MAX_AGE
    )


def _wipe(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        asyncio.run(_empty_postgresql(url))


async def _empty_postgresql(url: str) -> None:
    engine = create_async_engine(migrations.sqlalchemy_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def ensure(url: str, count: int) -> str:
    """Build the data unless an up-to-date copy is there; says which happened."""
    sqlite_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if (sqlite_file is None or sqlite_file.exists()) and asyncio.run(_built(url, count)):
        return "reused"
    started = time.perf_counter()
    _wipe(url)
    migrations.upgrade(url)
    asyncio.run(_build(url, count))
    return f"built in {time.perf_counter() - started:.0f} s"


async def _build(url: str, count: int) -> None:
    engine = create_async_engine(migrations.sqlalchemy_url(url))
    now = clock.timestamp()
    async with engine.begin() as conn:
        if url.startswith("sqlite"):
            # One transaction, written once at the end: the journal is only overhead here.
            await conn.execute(text("PRAGMA synchronous=OFF"))
        await _catalog(conn, now)
        for table, rows in _customer_rows(count, now):
            await _insert(conn, table, rows)
        heavy = [
            _invoice(f"in_h{k}", "cus_b0", now - MONTH * INVOICES - k * 3600)
            for k in range(HEAVY_INVOICES)
        ]
        await _insert(conn, invoices, heavy)
        await _insert(
            conn,
            invoice_lines,
            [
                {
                    "id": f"il_{row['id']}",
                    "invoice_id": row["id"],
                    "amount": 4900,
                    "quantity": 1,
                    "proration": False,
                    "position": 0,
                }
                for row in heavy
            ],
        )
        await conn.execute(text(f"CREATE TABLE {MARKER} (value TEXT NOT NULL, built BIGINT)"))
        await conn.execute(
            text(f"INSERT INTO {MARKER} VALUES (:value, :built)"),
            {"value": _marker(count), "built": now},
        )
    if not url.startswith("sqlite"):
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            # Vacuumed now rather than by autovacuum in the middle of the measurement.
            await conn.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


async def _insert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """executemany in chunks: one statement prepared once, not one statement per row."""
    for start in range(0, len(rows), CHUNK):
        await conn.execute(table.insert(), rows[start : start + CHUNK])


async def _catalog(conn: AsyncConnection, now: int) -> None:
    await conn.execute(
        products.insert().values(
            id="prod_bench", name="Team", active=True, metadata={}, livemode=False, created=now
        )
    )
    await conn.execute(
        prices.insert().values(
            id="price_bench",
            product_id="prod_bench",
            currency="eur",
            unit_amount=4900,
            interval="month",
            interval_count=1,
            usage_type="licensed",
            tax_behavior="unspecified",
            active=True,
            livemode=False,
            created=now,
        )
    )
    await conn.execute(
        portal_configurations.insert().values(
            id="bpc_bench",
            active=True,
            is_default=True,
            business_profile={"name": "Bench"},
            branding={},
            features={"invoice_history": {"enabled": True}},
            login_page_enabled=False,
            secure_mode=False,
            metadata={},
            livemode=False,
            created=now,
            updated=now,
        )
    )


def _customer_rows(count: int, now: int) -> Iterator[tuple[Table, list[dict[str, Any]]]]:
    ids = range(count)
    yield (
        customers,
        [
            {
                "id": f"cus_b{i}",
                "email": f"c{i}@example.com",
                "email_normalized": f"c{i}@example.com",
                "name": f"Customer {i}",
                "default_payment_method_id": f"pm_b{i}",
                "balance": 0,
                "metadata": {},
                "livemode": False,
                "created": now - i,
            }
            for i in ids
        ],
    )
    yield (
        payment_methods,
        [
            {
                "id": f"pm_b{i}",
                "customer_id": f"cus_b{i}",
                "type": "card",
                "brand": "visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": 2040,
                "livemode": False,
                "created": now,
            }
            for i in ids
        ],
    )
    yield (
        subscriptions,
        [
            {
                "id": f"sub_b{i}",
                "customer_id": f"cus_b{i}",
                "status": "active",
                "current_period_start": now - 86400,
                "current_period_end": now + 86400 * 29,
                "cancel_at_period_end": False,
                "collection_method": "charge_automatically",
                "version": 1,
                "metadata": {},
                "livemode": False,
                "created": now,
            }
            for i in ids
        ],
    )
    yield (
        subscription_items,
        [
            {
                "id": f"si_b{i}",
                "subscription_id": f"sub_b{i}",
                "price_id": "price_bench",
                "quantity": 1,
                "created": now,
            }
            for i in ids
        ],
    )
    for month in range(INVOICES):
        yield (
            invoices,
            [_invoice(f"in_b{i}_{month}", f"cus_b{i}", now - month * MONTH) for i in ids],
        )


def _invoice(invoice_id: str, customer_id: str, created: int) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "customer_id": customer_id,
        "subscription_id": None,
        "number": invoice_id.upper(),
        "status": "paid",
        "currency": "eur",
        "subtotal": 4900,
        "discount": 0,
        "tax": 0,
        "total": 4900,
        "amount_due": 4900,
        "amount_paid": 4900,
        "attempt_count": 1,
        "livemode": False,
        "created": created,
        "paid_at": created,
    }
