"""`databases` backends that compile each statement shape once.

`databases` compiles every statement on every call; for a page of a few small queries that
costs more than running them. SQLAlchemy gives each statement a cache key (its shape) and the
bound values apart, which is what its own engine caches on: we do the same, and fall back to
the plain path for what cannot be cached (DDL, `IN` lists whose length varies)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from databases.backends.postgres import PostgresBackend, PostgresConnection
from databases.backends.sqlite import CompilationContext, SQLiteBackend, SQLiteConnection
from databases.interfaces import ConnectionBackend
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.ddl import DDLElement

MAX_SHAPES = 2000


Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled statement ready to hand to the driver itself: its SQL in the driver's
    parameter style, how values become its positional arguments, and how its rows become
    dicts (each column through its type's result processing: JSON, booleans)."""

    sql: str
    binds: tuple[tuple[str, Processor | None], ...]  # in placeholder order
    defaults: Mapping[str, Any]  # values the statement carries itself (literals)
    names: tuple[str, ...]
    decoders: tuple[tuple[int, str, Processor], ...]  # columns with result processing
    is_select: bool

    @classmethod
    def of(cls, compiled: SQLCompiler, dialect: Dialect) -> Plan:
        defaults = compiled.construct_params(_check=False)
        processors: dict[str, Any] = compiled._bind_processors  # type: ignore[assignment]
        if compiled.positional:
            order = list(compiled.positiontup or ())
            sql = compiled.string
        else:  # asyncpg: numbered placeholders ($1) for pyformat's named ones
            order = sorted(defaults)
            sql = compiled.string % {key: f"${i}" for i, key in enumerate(order, start=1)}
        columns = [
            (entry.keyname, entry.type._cached_result_processor(dialect, None))
            for entry in compiled._result_columns
        ]
        return cls(
            sql,
            tuple((key, processors.get(key)) for key in order),
            defaults,
            tuple(name for name, _ in columns),
            tuple(
                (i, name, process)
                for i, (name, process) in enumerate(columns)
                if process is not None
            ),
            bool(getattr(compiled.statement, "is_select", False)),
        )

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        out = []
        for key, process in self.binds:
            value = values[key] if key in values else self.defaults[key]
            out.append(value if process is None else process(value))
        return out

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        row = dict(zip(self.names, values, strict=True))
        for index, name, process in self.decoders:
            value = values[index]
            if isinstance(value, (int, str, float)):  # asyncpg decodes some types itself
                row[name] = process(value)
        return row


class Statement:
    """A hot statement built once at import, with `bindparam`s for what changes per call.

    Building a `select(...)` and generating its cache key cost more than running a small
    query; a Statement is compiled once per dialect and then only gets values."""

    __slots__ = ("_plans", "query")

    def __init__(self, query: ClauseElement) -> None:
        self.query = query
        self._plans: dict[str, Plan] = {}

    def plan(self, dialect: Dialect) -> Plan:
        found = self._plans.get(dialect.name)
        if found is None:
            compiled = dialect.statement_compiler(
                dialect, self.query, compile_kwargs={"render_postcompile": True}
            )
            assert not any(bind.expanding for bind in compiled.binds.values()), (
                "IN lists vary in length: not for a Statement"
            )
            found = self._plans[dialect.name] = Plan.of(compiled, dialect)
        return found


class StatementCache:
    def __init__(self) -> None:
        self._compiled: dict[Any, SQLCompiler] = {}
        self.shapes: dict[int, list[tuple[str, Any]]] = {}
        self._plans: dict[int, Plan] = {}

    def lookup(
        self, query: ClauseElement, dialect: Dialect
    ) -> tuple[SQLCompiler, dict[str, Any]] | None:
        """The compiled statement and this call's parameters, or None: compile as usual."""
        if isinstance(query, DDLElement):
            return None
        key = query._generate_cache_key()
        if key is None or any(bind.expanding for bind in key.bindparams):
            return None
        compiled = self._compiled.get(key.key)
        if compiled is None:
            if len(self._compiled) >= MAX_SHAPES:
                self._compiled.clear()
                self.shapes.clear()
                self._plans.clear()
            # SQLCompiler with its cache key, so later calls can hand in their own values.
            compiled = dialect.statement_compiler(
                dialect, query, cache_key=key, compile_kwargs={"render_postcompile": True}
            )
            self._compiled[key.key] = compiled
        params = compiled.construct_params(extracted_parameters=key.bindparams)
        return compiled, dict(params or {})

    def plan(self, compiled: SQLCompiler, dialect: Dialect) -> Plan:
        """The Plan of a statement this cache compiled (kept with it)."""
        plan = self._plans.get(id(compiled))
        if plan is None:
            plan = self._plans[id(compiled)] = Plan.of(compiled, dialect)
        return plan

    def shape(self, compiled: SQLCompiler, dialect: Dialect) -> list[tuple[str, Any]]:
        """(name, result processor) of each column a cached statement returns."""
        shape = self.shapes.get(id(compiled))
        if shape is None:
            shape = self.shapes[id(compiled)] = [
                (entry.keyname, entry.type._cached_result_processor(dialect, None))
                for entry in compiled._result_columns
            ]
        return shape


class _CachedRows(ConnectionBackend):
    """Cached statements skip `databases`' record objects: rows come back as plain dicts,
    each column through its type's result processing (JSON, booleans). Each driver says
    how it binds parameters (`_sql`) and fetches (`_rows`)."""

    cache: StatementCache
    _dialect: Dialect

    def _cached(self, query: ClauseElement) -> tuple[SQLCompiler, dict[str, Any]] | None:
        found = self.cache.lookup(query, self._dialect)
        return found if found is not None and found[0]._result_columns else None

    async def fetch_all(self, query: ClauseElement) -> Any:
        found = self._cached(query)
        if found is None:
            return await super().fetch_all(query)
        shape = self.cache.shape(found[0], self._dialect)
        return [_decoded(shape, row) for row in await self._rows(*self._sql(*found))]

    async def fetch_one(self, query: ClauseElement) -> Any:
        found = self._cached(query)
        if found is None:
            return await super().fetch_one(query)
        rows = await self._rows(*self._sql(*found), one=True)
        return _decoded(self.cache.shape(found[0], self._dialect), rows[0]) if rows else None

    async def fetch_val(self, query: ClauseElement, column: Any = 0) -> Any:
        row = await self.fetch_one(query)
        if isinstance(row, dict):
            return list(row.values())[column] if isinstance(column, int) else row[column]
        return None if row is None else row[column]

    @staticmethod
    def _sql(compiled: SQLCompiler, params: dict[str, Any]) -> tuple[str, list[Any]]:
        raise NotImplementedError

    async def _rows(self, sql: str, args: list[Any], *, one: bool = False) -> list[Any]:
        raise NotImplementedError


class CachedSQLiteConnection(_CachedRows, SQLiteConnection):
    @staticmethod
    def _sql(compiled: SQLCompiler, params: dict[str, Any]) -> tuple[str, list[Any]]:
        processors: dict[str, Any] = compiled._bind_processors  # type: ignore[assignment]
        return compiled.string, [
            processors[key](params[key]) if key in processors else params[key]
            for key in compiled.positiontup or ()
        ]

    async def _rows(self, sql: str, args: list[Any], *, one: bool = False) -> list[Any]:
        assert self._connection is not None
        async with self._connection.execute(sql, args) as cursor:
            if one:
                row = await cursor.fetchone()
                return [] if row is None else [row]
            return list(await cursor.fetchall())

    def _compile(self, query: ClauseElement) -> Any:
        found = self.cache.lookup(query, self._dialect)
        if found is None:
            return super()._compile(query)
        compiled = found[0]
        sql, args = self._sql(*found)
        context: Any = self._dialect.execution_ctx_cls()
        context.dialect = self._dialect
        context.result_column_struct = (
            compiled._result_columns,
            compiled._ordered_columns,
            compiled._textual_ordered_columns,
            compiled._ad_hoc_textual,
            compiled._loose_column_name_matching,
        )
        return sql, args, compiled._result_columns, CompilationContext(context)


class CachedSQLiteBackend(SQLiteBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = StatementCache()

    def plan(self, query: ClauseElement) -> tuple[Plan, list[Any]]:
        """A statement's Plan (cached by shape when it can be) and this call's arguments."""
        found = self._cache.lookup(query, self._dialect)
        if found is None:
            compiled = self._dialect.statement_compiler(
                self._dialect, query, compile_kwargs={"render_postcompile": True}
            )
            plan = Plan.of(compiled, self._dialect)
            return plan, plan.args({})
        plan = self._cache.plan(found[0], self._dialect)
        return plan, plan.args(found[1])

    def connection(self) -> SQLiteConnection:
        connection = CachedSQLiteConnection(self._pool, self._dialect)
        connection.cache = self._cache
        return connection


class CachedPostgresConnection(_CachedRows, PostgresConnection):
    """asyncpg decodes most types itself; JSON arrives as text and is processed."""

    @staticmethod
    def _sql(compiled: SQLCompiler, params: dict[str, Any]) -> tuple[str, list[Any]]:
        ordered = sorted(params.items())
        sql = compiled.string % {key: f"${i}" for i, (key, _) in enumerate(ordered, start=1)}
        processors: dict[str, Any] = compiled._bind_processors  # type: ignore[assignment]
        return sql, [
            processors[key](value) if key in processors else value for key, value in ordered
        ]

    async def _rows(self, sql: str, args: list[Any], *, one: bool = False) -> list[Any]:
        assert self._connection is not None
        if one:
            row = await self._connection.fetchrow(sql, *args)
            return [] if row is None else [row.values()]
        return [row.values() for row in await self._connection.fetch(sql, *args)]

    def _compile(self, query: ClauseElement) -> Any:
        found = self.cache.lookup(query, self._dialect)
        if found is None:
            return super()._compile(query)
        sql, args = self._sql(*found)
        return sql, args, found[0]._result_columns


class CachedPostgresBackend(PostgresBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = StatementCache()

    def pool(self) -> Any:
        """asyncpg's pool, for Statements (db.py)."""
        assert self._pool is not None, "not connected"
        return self._pool

    def connection(self) -> PostgresConnection:
        connection = CachedPostgresConnection(self, self._dialect)
        connection.cache = self._cache
        return connection


def _decoded(shape: list[tuple[str, Any]], values: Any) -> dict[str, Any]:
    return {
        name: process(value) if process and isinstance(value, (int, str, float)) else value
        for (name, process), value in zip(shape, values, strict=True)
    }
