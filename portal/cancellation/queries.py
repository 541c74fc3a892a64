"""Cancellation SQL: the retention coupon (catalog data, the same for every customer).

A subscription's own rows are read and written through billing/queries.py, which names the
customer in every statement."""

from __future__ import annotations

from sqlalchemy import select

from portal.db import Database, Row
from portal.tables import coupons


async def coupon(db: Database, coupon_id: str) -> Row | None:
    return await db.fetch_one(select(coupons).where(coupons.c.id == coupon_id))
