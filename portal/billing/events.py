"""Events: written in the transaction of the change they describe, ready for webhooks."""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.db import Database, new_id
from portal.tables import events


async def record(db: Database, type_: str, data: dict[str, Any],
                 previous_attributes: dict[str, Any] | None = None) -> None:
    await db.execute(events.insert().values(
        id=new_id("evt"), type=type_, data=data, previous_attributes=previous_attributes,
        livemode=False, created=clock.timestamp()))
