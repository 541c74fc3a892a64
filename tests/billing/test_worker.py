"""`portal worker` as operators run it: killed mid-renewal and restarted; the test clock."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from portal import clock
from portal.db import Database
from portal.tables import invoices, processor_charges, subscriptions
from tests import factories
from tests.conftest import SECRET

DAY = 86400


def seed_due(url: str, count: int) -> None:
    async def run() -> None:
        db = Database(url)
        await db.connect()
        now = clock.timestamp()
        prod = factories.product()
        price = factories.price(prod["id"])
        customers, cards, subs = [], [], []
        for _ in range(count):
            cus = factories.customer()
            pm = factories.card(cus["id"])
            cus["invoice_settings"] = {"default_payment_method": pm["id"]}
            customers.append(cus)
            cards.append(pm)
            subs.append(
                factories.subscription(
                    cus["id"],
                    price["id"],
                    current_period_start=now - 75 * DAY,
                    current_period_end=now - 45 * DAY,
                )
            )
        await factories.seed(
            db,
            products=[prod],
            prices=[price],
            customers=customers,
            payment_methods=cards,
            subscriptions=subs,
        )
        await db.disconnect()

    asyncio.run(run())


def counts(url: str) -> tuple[int, int, int, int]:
    async def run() -> tuple[int, int, int, int]:
        db = Database(url)
        await db.connect()
        try:
            due = await db.fetch_val(
                select(func.count())
                .select_from(subscriptions)
                .where(subscriptions.c.current_period_end <= clock.timestamp())
            )
            made = await db.fetch_val(select(func.count()).select_from(invoices))
            periods = await db.fetch_val(
                select(func.count()).select_from(
                    select(invoices.c.subscription_id, invoices.c.period_start)
                    .distinct()
                    .subquery()
                )
            )
            charges = await db.fetch_val(select(func.count()).select_from(processor_charges))
            return due, made, periods, charges
        finally:
            await db.disconnect()

    return asyncio.run(run())


def worker(url: str, debug: bool = False) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        **({"DEBUG": "1", "PORTAL_VAR_DIR": os.environ.get("TMPDIR", "/tmp")} if debug else {}),
    }
    env.pop("SMTP_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "portal", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_done(url: str, seconds: float = 60) -> tuple[int, int, int, int]:
    """Until nothing is due and every invoice made was charged."""
    deadline = time.monotonic() + seconds
    while True:
        state = counts(url)
        due, made, _, charges = state
        if (due == 0 and made == charges) or time.monotonic() > deadline:
            return state
        time.sleep(0.3)


def test_a_worker_killed_mid_renewal_then_restarted(database_url: str) -> None:
    seed_due(database_url, 150)  # each two periods behind (about 45 and 15 days ago)
    first = worker(database_url)
    deadline = time.monotonic() + 30
    while counts(database_url)[1] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # no clean-up, no rollback handlers
    first.wait()
    assert counts(database_url)[0] > 0, "the worker finished before it could be killed"
    second = worker(database_url)
    try:
        due, made, periods, charges = wait_until_done(database_url)
    finally:
        second.terminate()
        second.wait(timeout=10)
    assert due == 0
    assert made == periods == 300  # every period invoiced exactly once
    assert charges == 300  # and charged exactly once


def test_two_worker_processes_share_the_work(database_url: str) -> None:
    seed_due(database_url, 60)
    workers = [worker(database_url), worker(database_url)]
    try:
        due, made, periods, charges = wait_until_done(database_url)
    finally:
        for process in workers:
            process.terminate()
            process.wait(timeout=10)
    assert (due, made, periods, charges) == (0, 120, 120, 120)


def test_clock_advance_moves_every_process(database_url: str, tmp_path: Path) -> None:
    from portal.cli import main

    seed_due(database_url, 1)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "DEBUG": "1",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    process = worker(database_url, debug=True)
    try:
        _, made, *_ = wait_until_done(database_url)
        assert made == 2
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            main(["clock", "advance", "31d"])
        finally:
            os.environ.clear()
            os.environ.update(saved)
        clock.advance(31 * DAY)  # this test process reads the shared clock the same way
        deadline = time.monotonic() + 20
        while counts(database_url)[1] < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert counts(database_url)[1] == 3
    finally:
        process.terminate()
        process.wait(timeout=10)
