"""Webhook SQL: the merchant's endpoints and the deliveries of events to them (the business's
own data, across customers by design)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update

from portal.db import Database, Row
from portal.tables import events, webhook_attempts, webhook_deliveries, webhook_endpoints


async def insert_endpoint(db: Database, values: dict[str, Any]) -> None:
    await db.execute(webhook_endpoints.insert().values(**values))


async def endpoint(db: Database, endpoint_id: str, livemode: bool) -> Row | None:
    return await db.fetch_one(
        select(webhook_endpoints).where(
            webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.livemode == livemode
        )
    )


async def change_endpoint(db: Database, endpoint_id: str, values: dict[str, Any]) -> None:
    await db.execute(
        update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(**values)
    )


async def delete_endpoint(db: Database, endpoint_id: str) -> None:
    await db.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))


async def enabled_endpoints(db: Database, livemode: bool) -> list[Row]:
    return await db.fetch_all(
        select(webhook_endpoints.c.id, webhook_endpoints.c.enabled_events).where(
            webhook_endpoints.c.status == "enabled", webhook_endpoints.c.livemode == livemode
        )
    )


async def insert_deliveries(db: Database, rows: list[dict[str, Any]]) -> None:
    if rows:
        await db.execute_many(webhook_deliveries.insert(), rows)


async def to_deliver(db: Database, delivery_id: str) -> Row | None:
    """A delivery's endpoint (url, secret nonce, status) and its event (id, type, …)."""
    return await db.fetch_one(
        select(
            webhook_endpoints.c.url,
            webhook_endpoints.c.secret,
            webhook_endpoints.c.status,
            events.c.id,
            events.c.type,
            events.c.data,
            events.c.previous_attributes,
            events.c.livemode,
            events.c.created,
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == webhook_deliveries.c.endpoint_id)
        .join(events, events.c.id == webhook_deliveries.c.event_id)
        .where(webhook_deliveries.c.id == delivery_id)
    )


async def record_attempt(db: Database, values: dict[str, Any]) -> None:
    await db.execute(webhook_attempts.insert().values(**values))
    await db.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == values["delivery_id"])
        .values(response_status=values["response_status"])
    )


async def recent_deliveries(db: Database, limit: int) -> list[Row]:
    return await db.fetch_all(
        select(webhook_deliveries, events.c.type, webhook_endpoints.c.url)
        .join(events, events.c.id == webhook_deliveries.c.event_id)
        .join(webhook_endpoints, webhook_endpoints.c.id == webhook_deliveries.c.endpoint_id)
        .order_by(webhook_deliveries.c.created.desc(), webhook_deliveries.c.id.desc())
        .limit(limit)
    )


async def attempts_of(db: Database, delivery_ids: Sequence[str]) -> list[Row]:
    """The attempts of these deliveries, oldest first."""
    if not delivery_ids:
        return []
    return await db.fetch_all(
        select(webhook_attempts)
        .where(webhook_attempts.c.delivery_id.in_(delivery_ids))
        .order_by(webhook_attempts.c.attempted_at, webhook_attempts.c.id)
    )


async def retry(db: Database, delivery_id: str, now: int) -> bool:
    """Make a delivery due now again, given up or not (it is sent again even if it went)."""
    changed = await db.fetch_val(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(next_attempt_at=now, gave_up_at=None, delivered_at=None, claimed_until=None)
        .returning(webhook_deliveries.c.id)
    )
    return changed is not None
