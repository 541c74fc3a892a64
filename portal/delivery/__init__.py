"""Delivering what the portal sends out (mail; webhooks next) from a table of messages:
claim, attempt, record the outcome, back off, give up.

Messages are claimed in batches before they are attempted (with SKIP LOCKED on PostgreSQL),
so two senders never attempt the same one. A sender stopped mid-attempt leaves a claim that
runs out after `claim_seconds`; the message is then attempted again. After `give_up_after`
failed attempts a message is given up, and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table

from portal import clock
from portal.db import Database, Row
from portal.delivery import queries

log = logging.getLogger("portal.delivery")


@dataclass(frozen=True)
class Failure:
    """How an attempt failed."""

    error: str
    stop_round: bool = False
    """The destination cannot be reached: the next messages would fail alike."""
    about_destination: bool = True
    """It tells whether the destination works (a refused recipient does not)."""


def failure(exc: Exception) -> Failure:
    return Failure(f"{type(exc).__name__}: {exc}"[:500])


@dataclass(frozen=True)
class Outbox:
    """A table of messages (columns id, attempts, next_attempt_at, last_error,
    last_attempt_at, gave_up_at and `delivered`) and the rules for delivering them."""

    name: str
    table: Table
    delivered: str  # the column set when a message has gone
    backoff: tuple[int, ...]  # seconds before each retry; the last one repeats
    give_up_after: int  # failed attempts
    claim_seconds: int = 120
    classify: Callable[[Exception], Failure] = failure
    due: Callable[[int], list[ColumnElement[bool]]] = field(default=lambda now: [])
    """Further conditions for a message to be due at `now`."""
    after_delivery: Callable[[Row, int], dict[str, Any]] = field(default=lambda row, now: {})
    """Further columns to set once a message has gone (e.g. erase a secret)."""

    def retry_in(self, attempts: int) -> int:
        return self.backoff[min(attempts, len(self.backoff) - 1)]


async def deliver_due(
    db: Database, outbox: Outbox, attempt: Callable[[Row], Awaitable[None]], *, limit: int = 50
) -> int:
    """Attempt what is due (an exception from `attempt` is a failure); returns how many went."""
    now = clock.timestamp()
    claimed = await queries.claim_due(db, outbox, now, limit)
    delivered = 0
    for position, row in enumerate(claimed):
        try:
            await attempt(row)
        except Exception as exc:
            failed = outbox.classify(exc)
            await queries.record_failure(db, outbox, row, failed, clock.timestamp())
            log.warning(
                "%s %s not delivered (attempt %d): %s",
                outbox.name,
                row["id"],
                row["attempts"] + 1,
                failed.error.split(":", 1)[0],
            )
            if failed.stop_round:
                await queries.release(db, outbox, [r["id"] for r in claimed[position + 1 :]])
                break
            continue
        await queries.record_delivery(db, outbox, row, clock.timestamp())
        delivered += 1
    return delivered
