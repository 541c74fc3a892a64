"""API SQL: keys, kept answers, and the lists the merchant reads. The API is the business's
own: its reads span every customer of the key's mode, by design."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select, tuple_, update

from portal.db import Database, Row
from portal.tables import (
    api_keys,
    coupons,
    customers,
    idempotency_keys,
    prices,
    promotion_codes,
)


async def insert_key(db: Database, **values: Any) -> None:
    await db.execute(api_keys.insert().values(**values))


async def key_by_hash(db: Database, secret_hash: str) -> Row | None:
    return await db.fetch_one(select(api_keys).where(api_keys.c.secret_hash == secret_hash))


async def keys(db: Database) -> list[Row]:
    return await db.fetch_all(select(api_keys).order_by(api_keys.c.created, api_keys.c.id))


async def revoke_key(db: Database, key_id: str, now: int) -> bool:
    revoked = await db.fetch_val(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(api_keys.c.id)
    )
    return revoked is not None


async def kept_answer(db: Database, key_id: str, key: str) -> Row | None:
    return await db.fetch_one(
        select(idempotency_keys).where(
            idempotency_keys.c.api_key_id == key_id, idempotency_keys.c.key == key
        )
    )


async def claim_answer(db: Database, key_id: str, key: str, request_hash: str, now: int) -> bool:
    """Reserve the key for this request; False if another request holds it already."""
    inserted = await db.fetch_val(
        db.insert_ignore(idempotency_keys)
        .values(api_key_id=key_id, key=key, request_hash=request_hash, created=now)
        .returning(idempotency_keys.c.key)
    )
    return inserted is not None


async def keep_answer(db: Database, key_id: str, key: str, status: int, body: Any) -> None:
    await db.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.api_key_id == key_id, idempotency_keys.c.key == key)
        .values(status=status, body=body)
    )


async def release(db: Database, key_id: str, key: str) -> None:
    """Forget a key whose request failed before it was answered (it may be sent again)."""
    await db.execute(
        delete(idempotency_keys).where(
            idempotency_keys.c.api_key_id == key_id, idempotency_keys.c.key == key
        )
    )


async def forget_answers(
    db: Database, before: int, key_id: str | None = None, key: str = ""
) -> None:
    """Forget answers kept since before `before`: one key's (as a request uses it), or all
    (the worker's round)."""
    query = delete(idempotency_keys).where(idempotency_keys.c.created < before)
    if key_id is not None:
        query = query.where(idempotency_keys.c.api_key_id == key_id, idempotency_keys.c.key == key)
    await db.execute(query)


# -- Lists, newest first, by cursor (the merchant's view: every customer of one mode) ------


async def listing(
    db: Database,
    table: Table,
    conditions: Sequence[ColumnElement[bool]],
    *,
    starting_after: str | None,
    ending_before: str | None,
    limit: int,
) -> list[Row]:
    """Up to `limit` rows of `table` matching `conditions`, newest first (created, then id),
    after or before a cursor row; an unknown cursor matches nothing."""
    key = (table.c.created, table.c.id)
    query = select(table).where(*conditions)
    cursor = starting_after or ending_before
    if cursor is not None:
        other = table.alias("cursor")
        created = select(other.c.created).where(other.c.id == cursor).scalar_subquery()
        if starting_after:
            query = query.where(tuple_(*key) < tuple_(created, cursor))
        else:
            query = query.where(tuple_(*key) > tuple_(created, cursor))
    if ending_before:
        return (await db.fetch_all(query.order_by(*key).limit(limit)))[::-1]
    return await db.fetch_all(query.order_by(*(c.desc() for c in key)).limit(limit))


# -- What the API's objects and checks read ------------------------------------------------


async def customer(db: Database, customer_id: str, livemode: bool) -> Row | None:
    return await db.fetch_one(
        select(customers).where(customers.c.id == customer_id, customers.c.livemode == livemode)
    )


async def prices_by_id(db: Database, price_ids: Sequence[str]) -> dict[str, Row]:
    rows = await db.fetch_all(
        select(prices.c.id, prices.c.product_id, prices.c.livemode).where(
            prices.c.id.in_(price_ids)
        )
    )
    return {row["id"]: row for row in rows}


async def coupon_exists(db: Database, coupon_id: str) -> bool:
    return await db.fetch_val(select(coupons.c.id).where(coupons.c.id == coupon_id)) is not None


async def promotion_code(db: Database, promotion_code_id: str) -> str | None:
    """The code customers type for a promotion code's id."""
    code = await db.fetch_val(
        select(promotion_codes.c.code).where(promotion_codes.c.id == promotion_code_id)
    )
    return str(code) if code else None
