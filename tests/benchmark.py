"""Load benchmark of the signed-in overview, against a bare Starlette route.

    .venv/bin/python -m tests.benchmark [--database-url URL] [--customers 100000]

Builds a database at scale (100,000 customers, each with a subscription and an invoice, plus
one customer with 10,000 invoices), serves the portal with uvicorn, serves a bare Starlette
app rendering a template of the same size, and drives both with the same load generator.
Prints requests per second, p50/p99 latency and SQL statements per page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from portal import clock, migrations
from portal.app import create_app
from portal.auth import sessions
from portal.db import Database
from portal.settings import Settings
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
from tests.conftest import SECRET, free_port

CHUNK = 2000
BARE_APP = '''
from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
env = Environment(loader=FileSystemLoader({folder!r}), autoescape=True)
async def page(request):
    return HTMLResponse(env.get_template("page.html").render(title="Billing"))
app = Starlette(routes=[Route("/", page)])
'''


async def build(url: str, count: int) -> None:
    db = Database(url)
    await db.connect()
    now = clock.timestamp()
    if not await db.fetch_val(text("SELECT count(*) FROM customers")):
        await db.execute(products.insert().values(id="prod_bench", name="Team", active=True,
                                                  metadata={}, livemode=False, created=now))
        await db.execute(prices.insert().values(
            id="price_bench", product_id="prod_bench", currency="eur", unit_amount=4900,
            interval="month", interval_count=1, usage_type="licensed",
            tax_behavior="unspecified", active=True, livemode=False, created=now))
        await db.execute(portal_configurations.insert().values(
            id="bpc_bench", active=True, is_default=True, business_profile={"name": "Bench"},
            branding={}, features={}, login_page_enabled=False, secure_mode=False,
            metadata={}, livemode=False, created=now, updated=now))
        for start in range(0, count, CHUNK):
            ids = range(start, min(start + CHUNK, count))
            async with db.transaction():
                await db.execute_many(customers.insert(), [
                    {"id": f"cus_b{i}", "email": f"c{i}@example.com",
                     "email_normalized": f"c{i}@example.com", "name": f"Customer {i}",
                     "default_payment_method_id": f"pm_b{i}", "balance": 0, "metadata": {},
                     "livemode": False, "created": now - i} for i in ids])
                await db.execute_many(payment_methods.insert(), [
                    {"id": f"pm_b{i}", "customer_id": f"cus_b{i}", "type": "card",
                     "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2040,
                     "livemode": False, "created": now} for i in ids])
                await db.execute_many(subscriptions.insert(), [
                    {"id": f"sub_b{i}", "customer_id": f"cus_b{i}", "status": "active",
                     "current_period_start": now - 86400, "current_period_end": now + 86400 * 29,
                     "cancel_at_period_end": False, "collection_method": "charge_automatically",
                     "version": 1, "metadata": {}, "livemode": False, "created": now}
                    for i in ids])
                await db.execute_many(subscription_items.insert(), [
                    {"id": f"si_b{i}", "subscription_id": f"sub_b{i}", "price_id": "price_bench",
                     "quantity": 1, "created": now} for i in ids])
                await db.execute_many(invoices.insert(), [_invoice(f"in_b{i}", f"cus_b{i}", now)
                                                          for i in ids])
        heavy = [_invoice(f"in_h{k}", "cus_b0", now - k * 3600) for k in range(10_000)]
        for start in range(0, len(heavy), CHUNK):
            async with db.transaction():
                await db.execute_many(invoices.insert(), heavy[start:start + CHUNK])
                await db.execute_many(invoice_lines.insert(), [
                    {"id": f"il_{row['id']}", "invoice_id": row["id"], "amount": 4900,
                     "quantity": 1, "proration": False, "position": 0}
                    for row in heavy[start:start + CHUNK]])
    await db.disconnect()


def _invoice(invoice_id: str, customer_id: str, created: int) -> dict[str, object]:
    return {"id": invoice_id, "customer_id": customer_id, "subscription_id": None,
            "number": invoice_id.upper(), "status": "paid", "currency": "eur", "subtotal": 4900,
            "discount": 0, "tax": 0, "total": 4900, "amount_due": 4900, "amount_paid": 4900,
            "attempt_count": 1, "livemode": False, "created": created, "paid_at": created}


async def session_cookie(settings: Settings, customer_id: str) -> tuple[str, int, str]:
    """A signed-in session, and how many SQL statements its overview takes (in process)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        db = app.state.db
        url = await sessions.create(db, settings, customer_id=customer_id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            await client.get(url.removeprefix(settings.base_url))
            cookie = client.cookies["portal_session"]
            await client.get("/p/")
            before = db.query_count
            page = await client.get("/p/")
            return cookie, db.query_count - before, page.text


async def load(url: str, cookie: str | None, seconds: float, concurrency: int
               ) -> tuple[float, float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    cookies = {"portal_session": cookie} if cookie else {}

    async def user(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(url, cookies=cookies)
            assert response.status_code == 200, response.status_code
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(user(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return (len(latencies) / elapsed, statistics.median(latencies) * 1000,
            latencies[int(len(latencies) * 0.99)] * 1000)


def serve(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/css/portal.css", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a new SQLite file under ./var/bench")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    url = options.database_url or f"sqlite:///{Path('var/bench/bench.sqlite3').resolve()}"
    migrations.upgrade(url)
    started = time.perf_counter()
    asyncio.run(build(url, options.customers))
    print(f"data ready in {time.perf_counter() - started:.0f} s ({options.customers} customers)")

    port, bare_port = free_port(), free_port()
    settings = Settings(database_url=url, secret_key=SECRET, base_url=f"http://127.0.0.1:{port}")
    typical, typical_queries, typical_page = asyncio.run(session_cookie(settings, "cus_b777"))
    heavy, heavy_queries, _ = asyncio.run(session_cookie(settings, "cus_b0"))
    folder = tempfile.mkdtemp()
    Path(folder, "page.html").write_text(typical_page.replace("{", "{{ '{' }}"))
    Path(folder, "bare.py").write_text(BARE_APP.format(folder=folder))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET,
           "BASE_URL": settings.base_url, "PYTHONPATH": folder}
    env.pop("DEBUG", None)
    portal = serve([sys.executable, "-m", "portal", "serve", "--port", str(port)], env, port)
    bare = serve([sys.executable, "-m", "uvicorn", "bare:app", "--port", str(bare_port),
                  "--log-level", "warning"], env, bare_port)
    try:
        rows = [
            ("bare Starlette template", f"http://127.0.0.1:{bare_port}/", None, 0),
            ("overview, typical customer", f"{settings.base_url}/p/", typical, typical_queries),
            ("overview, 10,000 invoices", f"{settings.base_url}/p/", heavy, heavy_queries),
        ]
        print(f"{'page':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL':>4}")
        for name, target, cookie, queries in rows:
            asyncio.run(load(target, cookie, 2, options.concurrency))  # warm up
            rps, p50, p99 = asyncio.run(load(target, cookie, options.seconds,
                                             options.concurrency))
            print(f"{name:32} {rps:8.0f} {p50:8.1f} {p99:8.1f} {queries:4}")
        print(f"page size: {len(typical_page)} bytes")
    finally:
        for process in (portal, bare):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
