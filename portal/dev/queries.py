"""Development pages' SQL. Across customers: these pages exist only in debug mode."""

from __future__ import annotations

from sqlalchemy import select

from portal.db import Database, Row
from portal.tables import customers


async def newest_customers_of_all(db: Database, limit: int = 100) -> list[Row]:
    return await db.fetch_all(
        select(customers.c.id, customers.c.email, customers.c.name)
        .order_by(customers.c.created.desc())
        .limit(limit)
    )
