"""Sending events to endpoints, through the shared delivery machinery (portal/delivery):
claimed in batches (two workers never send the same delivery), signed, and retried with
back-off for three days when the receiver does not answer 2xx in time. Every attempt is
recorded with what the receiver answered."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from portal import clock
from portal.db import Database, Row, new_id
from portal.delivery import Failure, Outbox, deliver_due
from portal.settings import Settings
from portal.tables import webhook_deliveries
from portal.webhooks import endpoints, queries

API_VERSION = "2026-07-29.dahlia"  # the version whose event shapes these follow
TIMEOUT_SECONDS = 10
# 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h: the last attempt about 3 days on.
BACKOFF_SECONDS = (60, 300, 1800, 7200, 18000, 36000, 43200)
GIVE_UP_AFTER = 12


class NotDelivered(Exception):
    """The receiver did not take the event (its status, or no answer)."""


OUTBOX = Outbox(
    "webhook",
    webhook_deliveries,
    delivered="delivered_at",
    backoff=BACKOFF_SECONDS,
    give_up_after=GIVE_UP_AFTER,
    claim_seconds=TIMEOUT_SECONDS * 6,
    classify=lambda exc: Failure(str(exc)[:500]),
)


def event_object(row: Row) -> dict[str, Any]:
    """An event as Stripe sends and lists it."""
    data: dict[str, Any] = {"object": row["data"]}
    if row["previous_attributes"] is not None:
        data["previous_attributes"] = row["previous_attributes"]
    return {
        "id": row["id"],
        "object": "event",
        "api_version": API_VERSION,
        "created": row["created"],
        "data": data,
        "livemode": bool(row["livemode"]),
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": row["type"],
    }


async def send_due(db: Database, settings: Settings) -> int:
    """Send what is due now; returns how many were taken."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:

        async def attempt(delivery: Row) -> None:
            await _attempt(db, settings, client, delivery)

        return await deliver_due(db, OUTBOX, attempt)


async def _attempt(
    db: Database, settings: Settings, client: httpx.AsyncClient, delivery: Row
) -> None:
    found = await queries.to_deliver(db, delivery["id"])
    if found is None:
        raise NotDelivered("the endpoint or the event no longer exists")
    if found["status"] != "enabled":
        raise NotDelivered("the endpoint is disabled")
    payload = json.dumps(event_object(found), separators=(",", ":")).encode()
    secret = endpoints.signing_secret(settings, found["secret"])
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        await endpoints.check_url(found["url"], settings)  # its host may have moved since
        now = clock.timestamp()
        response = await client.post(
            found["url"],
            content=payload,
            headers={
                "content-type": "application/json; charset=utf-8",
                "stripe-signature": endpoints.sign(secret, now, payload),
                "user-agent": "billing-portal-webhooks/1",
            },
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"the receiver answered {status}"
    except (httpx.HTTPError, endpoints.EndpointRefused) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    await queries.record_attempt(
        db,
        {
            "id": new_id("wa"),
            "delivery_id": delivery["id"],
            "attempted_at": clock.timestamp(),
            "response_status": status,
            "error": error,
            "duration_ms": int((time.monotonic() - started) * 1000),
        },
    )
    if error is not None:
        raise NotDelivered(error)
