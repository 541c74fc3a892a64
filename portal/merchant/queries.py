"""Portal configurations, typed as they are read (merchant/configuration.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from portal.db import Database, Row
from portal.merchant.configuration import Configuration
from portal.security import new_token
from portal.tables import portal_configurations as configurations


def _typed(row: Row | None) -> Configuration | None:
    return None if row is None else Configuration.of(row)


async def default(db: Database, livemode: bool | None = None) -> Configuration | None:
    """The default configuration: the live one before the test one, or that of `livemode`."""
    query = (
        select(configurations)
        .where(configurations.c.is_default, configurations.c.active)
        .order_by(configurations.c.livemode.desc(), configurations.c.created)
        .limit(1)
    )
    if livemode is not None:
        query = query.where(configurations.c.livemode == livemode)
    return _typed(await db.fetch_one(query))


async def by_login_link(db: Database, link_id: str) -> Configuration | None:
    """The configuration whose login page is on and active, for a login link id."""
    query = select(configurations).where(
        configurations.c.login_link_id == link_id,
        configurations.c.login_page_enabled,
        configurations.c.active,
    )
    return _typed(await db.fetch_one(query))


async def by_id(db: Database, configuration_id: str) -> Configuration | None:
    return _typed(
        await db.fetch_one(select(configurations).where(configurations.c.id == configuration_id))
    )


async def secure_mode_secret(
    db: Database, configuration_id: str, *, rotate: bool = False
) -> str | None:
    """The signing secret of a configuration in secure mode (a new one when rotating)."""
    where = (configurations.c.id == configuration_id, configurations.c.secure_mode)
    if rotate:
        await db.execute(
            update(configurations).where(*where).values(secure_mode_secret=new_token())
        )
    secret: str | None = await db.fetch_val(
        select(configurations.c.secure_mode_secret).where(*where)
    )
    return secret


# -- As the API reads and writes them (rows, in one mode) ---------------------------------


async def row(db: Database, configuration_id: str, livemode: bool) -> Row | None:
    return await db.fetch_one(
        select(configurations).where(
            configurations.c.id == configuration_id, configurations.c.livemode == livemode
        )
    )


async def insert(db: Database, values: dict[str, Any]) -> None:
    await db.execute(configurations.insert().values(**values))


async def change(db: Database, configuration_id: str, values: dict[str, Any]) -> None:
    await db.execute(
        update(configurations).where(configurations.c.id == configuration_id).values(**values)
    )
