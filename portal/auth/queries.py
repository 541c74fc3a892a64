"""Sign-in SQL: customers by email, login codes, portal sessions and throttle counters."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, exists, literal, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.statuses import LIVE
from portal.db import Database, Row, Statement, prefixed
from portal.tables import (
    customers,
    login_codes,
    portal_configurations,
    portal_sessions,
    subscriptions,
    throttles,
)


async def customer_for_email(db: Database, email_normalized: str) -> str | None:
    """Among the customers with this email: the newest with a live subscription, else the
    newest of all."""
    live = exists().where(
        subscriptions.c.customer_id == customers.c.id,
        or_(*(subscriptions.c.status == s for s in LIVE)),
    )
    customer_id: str | None = await db.fetch_val(
        select(customers.c.id)
        .where(customers.c.email_normalized == email_normalized)
        .order_by(
            case((live, literal_column("0")), else_=literal_column("1")),
            customers.c.created.desc(),
            customers.c.id.desc(),
        )
        .limit(1)
    )
    return customer_id


async def customer_exists(db: Database, customer_id: str, livemode: bool | None = None) -> bool:
    """Whether the customer exists (in that mode, given one)."""
    query = select(customers.c.id).where(customers.c.id == customer_id)
    if livemode is not None:
        query = query.where(customers.c.livemode == livemode)
    return await db.fetch_val(query) is not None


# -- Login codes ---------------------------------------------------------------------------
#
# A request or a check runs the same statements whether or not the email belongs to a
# customer: for a stranger the id is "" and matches no row.


async def insert_code(db: Database, customer_id: str | None, **values: object) -> None:
    """Store a code for the customer; nothing when `customer_id` is None."""
    await db.execute(
        login_codes.insert().from_select(
            ["customer_id", *values],
            select(
                customers.c.id,
                *(
                    literal(value, login_codes.c[name].type).label(name)
                    for name, value in values.items()
                ),
            ).where(customers.c.id == (customer_id or "")),
        )
    )


async def retire_codes(
    db: Database, email_normalized: str, configuration_id: str, browser_hash: str, now: int
) -> None:
    """A new code ends the ones this browser was sent before it (not other browsers')."""
    await db.execute(
        update(login_codes)
        .where(
            login_codes.c.email_normalized == email_normalized,
            login_codes.c.configuration_id == configuration_id,
            login_codes.c.browser_hash == browser_hash,
            login_codes.c.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )


async def latest_code(
    db: Database, email_normalized: str, configuration_id: str, browser_hash: str
) -> Row | None:
    """The newest code this browser asked for (only it can be typed there)."""
    query = (
        select(login_codes)
        .where(
            login_codes.c.email_normalized == email_normalized,
            login_codes.c.configuration_id == configuration_id,
            login_codes.c.browser_hash == browser_hash,
        )
        .order_by(login_codes.c.created.desc(), login_codes.c.id.desc())
        .limit(1)
    )
    if not db.is_sqlite:
        query = query.with_for_update()
    return await db.fetch_one(query)


async def code_by_link(db: Database, link_token_hash: str) -> Row | None:
    query = select(login_codes).where(login_codes.c.link_token_hash == link_token_hash)
    if not db.is_sqlite:
        query = query.with_for_update()
    return await db.fetch_one(query)


async def count_wrong_try(db: Database, code_id: str | None) -> None:
    await db.execute(
        update(login_codes)
        .where(login_codes.c.id == (code_id or ""))
        .values(attempts=login_codes.c.attempts + 1)
    )


async def consume_code(db: Database, code_id: str, now: int) -> bool:
    """Use a code up; False when another request used it first."""
    row = await db.fetch_one(
        update(login_codes)
        .where(login_codes.c.id == code_id, login_codes.c.consumed_at.is_(None))
        .values(consumed_at=now)
        .returning(login_codes.c.id)
    )
    return row is not None


# -- Sessions ------------------------------------------------------------------------------


async def insert_session(db: Database, **values: object) -> None:
    await db.execute(portal_sessions.insert().values(**values))


CONFIGURATION = "cfg__"  # no column of the tables joined starts so


# Every signed-in page runs this: built once here (see Statement in db_backends.py).
_SESSION_BY_TOKEN = Statement(
    select(
        portal_sessions,
        customers.c.preferred_locale,
        *(c.label(CONFIGURATION + c.name) for c in portal_configurations.c),
    )
    .join(customers, customers.c.id == portal_sessions.c.customer_id)
    .join(portal_configurations, portal_configurations.c.id == portal_sessions.c.configuration_id)
    .where(portal_sessions.c.token_hash == bindparam("token_hash"))
)


async def session_by_token(db: Database, token_hash: str) -> Row | None:
    """The session, its customer's preferred language and its configuration (as `cfg__*`
    columns): one query for what every page needs."""
    return await db.fetch_one(_SESSION_BY_TOKEN, {"token_hash": token_hash})


def configuration_of(session: Row) -> Row:
    return prefixed(session, CONFIGURATION)


async def open_session(
    db: Database, token_hash: str, new_token_hash: str, now: int, unused_since: int
) -> Row | None:
    """Swap a one-time URL's token for the browser's session id, once, while it is fresh."""
    return await db.fetch_one(
        update(portal_sessions)
        .where(
            portal_sessions.c.token_hash == token_hash,
            portal_sessions.c.opened_at.is_(None),
            portal_sessions.c.ended_at.is_(None),
            portal_sessions.c.created >= unused_since,
        )
        .values(token_hash=new_token_hash, opened_at=now, last_seen=now)
        .returning(*portal_sessions.c)
    )


_TOUCH_SESSION = Statement(
    update(portal_sessions)
    .where(portal_sessions.c.id == bindparam("session_id"))
    .values(last_seen=bindparam("now"))
)


async def touch_session(db: Database, session_id: str, now: int) -> None:
    await db.execute(_TOUCH_SESSION, {"session_id": session_id, "now": now})


async def end_session(db: Database, session_id: str, now: int) -> None:
    await db.execute(
        update(portal_sessions)
        .where(portal_sessions.c.id == session_id, portal_sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )


# -- Throttles -----------------------------------------------------------------------------


async def hit(db: Database, key: str, *, window: int, now: int) -> int:
    """Count one event in `key`'s fixed window (a new window restarts at 1); returns the count.

    One atomic statement, so processes sharing the database count together."""
    insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(throttles)
    expired = throttles.c.window_start <= now - window
    statement = (
        insert.values(key=key, count=1, window_start=now)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((expired, literal(1)), else_=throttles.c.count + 1),
                "window_start": case((expired, literal(now)), else_=throttles.c.window_start),
            },
        )
        .returning(throttles.c.count)
    )
    count: int = await db.fetch_val(statement)
    return count


async def unhit(db: Database, key: str) -> None:
    """Take back one event counted by `hit`."""
    await db.execute(
        update(throttles)
        .where(throttles.c.key == key, throttles.c.count > 0)
        .values(count=throttles.c.count - 1)
    )


async def current(db: Database, key: str, *, window: int, now: int) -> int:
    count = await db.fetch_val(
        select(throttles.c.count).where(
            and_(throttles.c.key == key, throttles.c.window_start > now - window)
        )
    )
    return int(count or 0)
