"""Outbox SQL. Across customers: mail is sent, erased and listed whoever it is for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, update

from portal.db import Database, Row
from portal.delivery.queries import unclaimed
from portal.tables import customers
from portal.tables import outbox_emails as outbox

ERASED = {"subject": "", "body_text": "", "body_html": None}


async def insert(db: Database, **values: Any) -> str:
    await db.execute(outbox.insert().values(**values))
    return str(values["id"])


async def insert_to_customer(db: Database, customer_id: str | None, **values: Any) -> str:
    """A message to the customer's email on file, in one statement: nothing when the id
    matches no customer (the same statement runs either way)."""
    await db.execute(
        outbox.insert().from_select(
            ["to_address", *values],
            select(
                customers.c.email,
                *(
                    literal(value, outbox.c[name].type).label(name)
                    for name, value in values.items()
                ),
            ).where(customers.c.id == customer_id, customers.c.email.is_not(None)),
        )
    )
    return str(values["id"])


def not_expired(now: int) -> list[ColumnElement[bool]]:
    return [
        outbox.c.erased_at.is_(None),
        or_(outbox.c.expires_at.is_(None), outbox.c.expires_at > now),
    ]


async def erase_expired(db: Database, now: int) -> None:
    """Blank the messages whose secret (a sign-in code and link) has expired, sent or not:
    unsent ones are dropped. Who got which mail, and when, is kept."""
    await db.execute(
        update(outbox)
        .where(outbox.c.erased_at.is_(None), outbox.c.expires_at <= now)
        .values(erased_at=now, **ERASED)
    )


async def latest_attempts(db: Database, *, since: int) -> tuple[int | None, int | None]:
    """(latest failed attempt, latest sent message) since `since`."""
    row = await db.fetch_one(
        select(
            func.max(case((outbox.c.last_error.is_not(None), outbox.c.last_attempt_at))).label(
                "failed"
            ),
            func.max(outbox.c.sent_at).label("sent"),
        ).where(outbox.c.last_attempt_at >= since)
    )
    return (row["failed"], row["sent"]) if row else (None, None)


async def retry_failed_now(db: Database, now: int) -> None:
    """Failed messages due now rather than after their back-off (not those in flight)."""
    await db.execute(
        update(outbox)
        .where(
            outbox.c.sent_at.is_(None),
            outbox.c.erased_at.is_(None),
            outbox.c.gave_up_at.is_(None),
            outbox.c.last_error.is_not(None),
            unclaimed(outbox, now),
        )
        .values(next_attempt_at=now)
    )


async def newest_of_all(db: Database, limit: int) -> list[Row]:
    """The newest messages that are not erased, for the development mailbox."""
    return await db.fetch_all(
        select(outbox)
        .where(outbox.c.erased_at.is_(None))
        .order_by(outbox.c.created.desc(), outbox.c.id.desc())
        .limit(limit)
    )
