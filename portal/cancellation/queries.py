"""Cancellation SQL: the retention coupon (catalog data, the same for every customer).

A subscription's own rows are read and written through billing/queries.py, which names the
customer in every statement."""

from __future__ import annotations

from sqlalchemy import select

from portal.db import Database, Row
from portal.tables import coupons


async def coupon(db: Database, coupon_id: str) -> Row | None:
    """The coupon, its columns named as `upcoming.Discount` reads them."""
    return await db.fetch_one(
        select(
            coupons,
            coupons.c.id.label("coupon_id"),
            coupons.c.name.label("coupon_name"),
            coupons.c.currency.label("coupon_currency"),
        ).where(coupons.c.id == coupon_id)
    )
