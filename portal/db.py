"""The database handle: `databases` over SQLite or PostgreSQL, one transaction per action.

SQLite: `databases` 0.9 opens a new connection for every query, which costs more than the
query. We open one connection for the process instead and serialise work on it with a lock
held for the length of a transaction (SQLite has one writer anyway). PostgreSQL keeps
asyncpg's pool: each task has its own connection and transactions run side by side.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import databases
import databases.core
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement, Insert

Row = dict[str, Any]

# The drivers log every statement with its values at DEBUG (emails, codes in mail bodies),
# and every connection at INFO, which would fill every command's output.
for _name in ("databases", "aiosqlite"):
    logging.getLogger(_name).setLevel(logging.WARNING)

_holding: ContextVar[bool] = ContextVar("portal_db_holding", default=False)


class _Databases(databases.Database):
    """`databases` with backends that compile each statement shape once (db_backends.py)."""

    SUPPORTED_BACKENDS = {
        **databases.Database.SUPPORTED_BACKENDS,
        "sqlite": "portal.db_backends:CachedSQLiteBackend",
        "postgresql": "portal.db_backends:CachedPostgresBackend",
        "postgres": "portal.db_backends:CachedPostgresBackend",
    }


def _row(record: Any) -> Row:
    if isinstance(record, dict):
        return record  # already processed (db_backends.py)
    # Indexing a record runs the column type's result processing (JSON on asyncpg).
    return {key: record[key] for key in record.keys()}  # noqa: SIM118 - not a dict


def prefixed(row: Row, prefix: str) -> Row:
    """The columns of a joined table that a query labelled `<prefix><column>`."""
    return {key.removeprefix(prefix): value for key, value in row.items()
            if key.startswith(prefix)}


def new_id(prefix: str) -> str:
    """Stripe-shaped ids: a prefix and 24 random characters (~143 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(18)}"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._db = _Databases(url)
        self._shared: databases.core.Connection | None = None
        self._lock = asyncio.Lock()
        self.query_count = 0
        """Statements sent since start; benchmarks and tests read the difference."""

    async def connect(self) -> None:
        if self.is_sqlite:
            path = databases.DatabaseURL(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        await self._db.connect()
        if self.is_sqlite:
            self._shared = self._db.connection()
            await self._shared.__aenter__()
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=5000",
            ):
                await self._shared.execute(pragma)

    async def disconnect(self) -> None:
        if self._shared is not None:
            await self._shared.__aexit__()
            self._shared = None
        await self._db.disconnect()

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[databases.Database | databases.core.Connection]:
        self.query_count += 1
        if self._shared is None:
            yield self._db
        elif _holding.get():
            yield self._shared
        else:
            async with self._lock:
                yield self._shared

    async def fetch_all(self, query: ClauseElement | str, values: Mapping[str, Any] | None = None
                        ) -> list[Row]:
        async with self._use() as conn:
            records = await conn.fetch_all(query, dict(values) if values else None)
        return [_row(record) for record in records]

    async def fetch_one(self, query: ClauseElement | str, values: Mapping[str, Any] | None = None
                        ) -> Row | None:
        async with self._use() as conn:
            record = await conn.fetch_one(query, dict(values) if values else None)
        return None if record is None else _row(record)

    async def fetch_val(self, query: ClauseElement | str, values: Mapping[str, Any] | None = None
                        ) -> Any:
        async with self._use() as conn:
            return await conn.fetch_val(query, dict(values) if values else None)

    async def execute(self, query: ClauseElement | str, values: Mapping[str, Any] | None = None
                      ) -> Any:
        async with self._use() as conn:
            return await conn.execute(query, dict(values) if values else None)

    async def execute_many(self, query: ClauseElement | str, values: Sequence[Mapping[str, Any]]
                           ) -> None:
        if not values:
            return
        async with self._use() as conn:
            await conn.execute_many(query, [dict(v) for v in values])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """All-or-nothing. On SQLite a nested call joins the outer transaction; on
        PostgreSQL it is a savepoint."""
        if self._shared is None:
            async with self._db.transaction():
                yield
            return
        if _holding.get():
            yield  # joins the transaction this task already holds
            return
        async with self._lock:
            token = _holding.set(True)
            try:
                # IMMEDIATE takes the write lock at once, waiting (busy_timeout) for another
                # process's; a deferred BEGIN would fail when upgrading a read to a write.
                await self._shared.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    await self._shared.execute("ROLLBACK")
                    raise
                await self._shared.execute("COMMIT")
            finally:
                _holding.reset(token)

    def upsert(self, table: Any, columns: Iterable[str]) -> Insert:
        """INSERT … ON CONFLICT (id) DO UPDATE of `columns`, in this database's dialect.
        Columns left out keep their stored value."""
        insert = (sqlite.insert if self.is_sqlite else postgresql.insert)(table)
        updates = {name: insert.excluded[name] for name in columns if name != "id"}
        return insert.on_conflict_do_update(index_elements=["id"], set_=updates)
