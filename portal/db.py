"""The database handle: `databases` over SQLite or PostgreSQL, one transaction per action.

SQLite: `databases` 0.9 opens a new connection for every query, which costs more than the
query. We open one connection for the process instead and serialise writes and transactions
on it with a lock held for the length of a transaction (SQLite has one writer anyway). Reads
outside a transaction go to a second connection, called directly on the event loop: a read
takes microseconds, far less than handing it to aiosqlite's thread and back, and in WAL mode
it never waits for a writer (it sees the last commit, as a PostgreSQL read would).

PostgreSQL keeps asyncpg's pool: each task has its own connection and transactions run side
by side. A connection goes back to the pool without asyncpg's reset query (a round trip per
statement): the portal keeps no session state on connections, and an open transaction is
still rolled back.

Hot statements are `Statement`s (db_backends.py): built once at import, compiled once, run
by the driver itself with the values of the call.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import databases
import databases.core
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement, Insert

from portal.db_backends import Plan, Statement

__all__ = ["Database", "Row", "Statement", "new_id", "prefixed"]

Row = dict[str, Any]
Query = ClauseElement | str | Statement

# The drivers log every statement with its values at DEBUG (emails, codes in mail bodies),
# and every connection at INFO, which would fill every command's output.
for _name in ("databases", "aiosqlite"):
    logging.getLogger(_name).setLevel(logging.WARNING)

_holding: ContextVar[bool] = ContextVar("portal_db_holding", default=False)
# PostgreSQL: the connection of the transaction this task is in, for Statements.
_in_transaction: ContextVar[Any] = ContextVar("portal_db_transaction", default=None)


async def _keep_session(connection: Any) -> None:
    """asyncpg's pool reset, minus its query: see the module's docstring."""


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
    return {short: row[key] for key, short in _prefixed_keys(tuple(row), prefix)}


@lru_cache(maxsize=256)
def _prefixed_keys(keys: tuple[str, ...], prefix: str) -> tuple[tuple[str, str], ...]:
    """A statement's rows share their columns: which to take is worked out once per shape."""
    return tuple((key, key.removeprefix(prefix)) for key in keys if key.startswith(prefix))


def new_id(prefix: str) -> str:
    """Stripe-shaped ids: a prefix and 24 random characters (~143 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(18)}"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {} if self.is_sqlite else {"reset": _keep_session}
        self._db = _Databases(url, **options)
        self._shared: databases.core.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self.query_count = 0
        """Statements sent since start; benchmarks and tests read the difference."""

    async def connect(self) -> None:
        path = databases.DatabaseURL(self.url).database if self.is_sqlite else None
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
            # A second connection sees another in-memory database: those read on the first.
            if path and path != ":memory:" and not databases.DatabaseURL(self.url).options:
                self._reader = _reader(path)

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
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

    async def fetch_all(self, query: Query, values: Mapping[str, Any] | None = None) -> list[Row]:
        direct = self._direct_read(query, values)
        if direct is not None:
            plan, args = direct
            return [plan.row(record) for record in self._read(plan, args)]
        if isinstance(query, Statement):
            return await self._run(query, values, "all")  # type: ignore[no-any-return]
        async with self._use() as conn:
            records = await conn.fetch_all(query, dict(values) if values else None)
        return [_row(record) for record in records]

    async def fetch_one(self, query: Query, values: Mapping[str, Any] | None = None) -> Row | None:
        direct = self._direct_read(query, values)
        if direct is not None:
            plan, args = direct
            records = self._read(plan, args, one=True)
            return plan.row(records[0]) if records else None
        if isinstance(query, Statement):
            return await self._run(query, values, "one")  # type: ignore[no-any-return]
        async with self._use() as conn:
            record = await conn.fetch_one(query, dict(values) if values else None)
        return None if record is None else _row(record)

    async def fetch_val(self, query: Query, values: Mapping[str, Any] | None = None) -> Any:
        direct = self._direct_read(query, values)
        if direct is not None:
            plan, args = direct
            records = self._read(plan, args, one=True)
            return plan.row(records[0])[plan.names[0]] if records else None
        if isinstance(query, Statement):
            row = await self._run(query, values, "one")
            return None if row is None else next(iter(row.values()))
        async with self._use() as conn:
            return await conn.fetch_val(query, dict(values) if values else None)

    async def execute(self, query: Query, values: Mapping[str, Any] | None = None) -> Any:
        if isinstance(query, Statement):
            return await self._run(query, values, "execute")
        async with self._use() as conn:
            return await conn.execute(query, dict(values) if values else None)

    async def execute_many(
        self, query: ClauseElement | str, values: Sequence[Mapping[str, Any]]
    ) -> None:
        if not values:
            return
        async with self._use() as conn:
            await conn.execute_many(query, [dict(v) for v in values])

    # -- The driver itself: SQLite reads on the loop, Statements ---------------------------

    def _direct_read(
        self, query: Query, values: Mapping[str, Any] | None
    ) -> tuple[Plan, list[Any]] | None:
        """The plan and arguments of a SQLite read to run on the event loop, or None."""
        if self._reader is None or _holding.get():
            return None
        backend: Any = self._db._backend
        if isinstance(query, Statement):
            plan = query.plan(backend._dialect)
            return (plan, plan.args(values or {})) if plan.is_select else None
        if values or not getattr(query, "is_select", False):
            return None  # text with values, writes: the usual path
        assert isinstance(query, ClauseElement)
        return backend.plan(query)  # type: ignore[no-any-return]

    def _read(self, plan: Plan, args: list[Any], *, one: bool = False) -> list[Any]:
        assert self._reader is not None
        self.query_count += 1
        cursor = self._reader.execute(plan.sql, args)
        try:
            if one:
                record = cursor.fetchone()
                return [] if record is None else [record]
            return cursor.fetchall()
        finally:
            cursor.close()

    async def _run(self, statement: Statement, values: Mapping[str, Any] | None, mode: str) -> Any:
        """A Statement through the driver: on SQLite's shared connection (a write, or a read
        within a transaction), on PostgreSQL's pool or this task's transaction."""
        backend: Any = self._db._backend
        plan = statement.plan(backend._dialect)
        args = plan.args(values or {})
        if self._shared is not None:
            async with self._use() as conn:
                raw = conn.raw_connection  # type: ignore[union-attr]
                async with raw.execute(plan.sql, args) as cursor:
                    if mode == "execute":
                        return cursor.lastrowid or cursor.rowcount
                    records = await (cursor.fetchall() if mode == "all" else cursor.fetchmany(1))
            return _shaped(plan, records, mode)
        self.query_count += 1
        held = _in_transaction.get()
        if held is not None:
            return await _asyncpg_run(held, plan, args, mode)
        async with backend.pool().acquire() as raw:
            return await _asyncpg_run(raw, plan, args, mode)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """All-or-nothing. On SQLite a nested call joins the outer transaction; on
        PostgreSQL it is a savepoint."""
        if self._shared is None:
            async with self._db.transaction():
                token = _in_transaction.set(self._db.connection().raw_connection)
                try:
                    yield
                finally:
                    _in_transaction.reset(token)
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

    def insert_ignore(self, table: Any) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING, in this database's dialect."""
        return (sqlite.insert if self.is_sqlite else postgresql.insert)(
            table
        ).on_conflict_do_nothing()

    def upsert(self, table: Any, columns: Iterable[str]) -> Insert:
        """INSERT … ON CONFLICT (id) DO UPDATE of `columns`, in this database's dialect.
        Columns left out keep their stored value."""
        insert = (sqlite.insert if self.is_sqlite else postgresql.insert)(table)
        updates = {name: insert.excluded[name] for name in columns if name != "id"}
        return insert.on_conflict_do_update(index_elements=["id"], set_=updates)


def _reader(path: str) -> sqlite3.Connection:
    """The connection for reads outside transactions (see the module's docstring)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA query_only=ON")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


def _shaped(plan: Plan, records: Sequence[Any], mode: str) -> Any:
    if mode == "all":
        return [plan.row(record) for record in records]
    return plan.row(records[0]) if records else None


async def _asyncpg_run(connection: Any, plan: Plan, args: list[Any], mode: str) -> Any:
    if mode == "execute":  # as `databases` does: the first column of a RETURNING, or None
        return await connection.fetchval(plan.sql, *args)
    if mode == "all":
        return _shaped(plan, await connection.fetch(plan.sql, *args), mode)
    record = await connection.fetchrow(plan.sql, *args)
    return None if record is None else plan.row(record)
