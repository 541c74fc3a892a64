"""Events: written in the transaction of the change they describe, with their deliveries to
the merchant's webhook endpoints."""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.billing import queries
from portal.db import Database, new_id
from portal.webhooks import endpoints as webhooks


async def record(
    db: Database,
    type_: str,
    data: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
) -> None:
    event = {
        "id": new_id("evt"),
        "type": type_,
        "data": data,
        "previous_attributes": previous_attributes,
        "livemode": False,
        "created": clock.timestamp(),
    }
    await queries.insert_event(db, **event)
    await webhooks.fan_out(db, event)  # a delivery for each endpoint that wants it
