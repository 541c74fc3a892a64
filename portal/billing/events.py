"""Events: written in the transaction of the change they describe, ready for webhooks."""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.billing import queries
from portal.db import Database, new_id


async def record(
    db: Database,
    type_: str,
    data: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
) -> None:
    await queries.insert_event(
        db,
        id=new_id("evt"),
        type=type_,
        data=data,
        previous_attributes=previous_attributes,
        livemode=False,
        created=clock.timestamp(),
    )
