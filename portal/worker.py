"""`portal worker`: the billing clock, the mail outbox and webhooks, in rounds."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from portal import clock, mail, test_clock
from portal.api import queries as api_queries
from portal.billing import collection, renewals
from portal.db import Database
from portal.payments import processor
from portal.payments.processor import processor_for
from portal.settings import Settings
from portal.webhooks import delivery as webhooks

log = logging.getLogger("portal.worker")


async def one_round(db: Database, settings: Settings) -> None:
    if settings.debug:
        await test_clock.sync(db)
    await renewals.run_due(
        db,
        processor_for(settings, db),
        mailer=collection.Mailer(settings.base_url, settings.test_mode),
    )
    await mail.send_due(db, settings)
    await webhooks.send_due(db, settings)
    await api_queries.forget_answers(db, clock.timestamp())


async def run(
    db: Database, settings: Settings, *, interval: float, stop: asyncio.Event | None = None
) -> None:
    stop = stop or asyncio.Event()
    log.info("worker started")
    while not stop.is_set():
        try:
            await one_round(db, settings)
        except Exception:
            log.exception("worker round failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    await processor.close(settings)
