"""Portal configurations."""

from __future__ import annotations

from sqlalchemy import select

from portal.db import Database, Row
from portal.tables import portal_configurations as configurations


async def default(db: Database) -> Row | None:
    query = (
        select(configurations)
        .where(configurations.c.is_default, configurations.c.active)
        .order_by(configurations.c.livemode.desc(), configurations.c.created)
        .limit(1)
    )
    return await db.fetch_one(query)


async def by_login_link(db: Database, link_id: str) -> Row | None:
    """The configuration whose login page is on and active, for a login link id."""
    query = select(configurations).where(
        configurations.c.login_link_id == link_id,
        configurations.c.login_page_enabled,
        configurations.c.active,
    )
    return await db.fetch_one(query)
