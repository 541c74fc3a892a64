"""`databases` backends that compile each statement shape once.

`databases` compiles every statement on every call; for a page of a few small queries that
costs more than running them. SQLAlchemy gives each statement a cache key (its shape) and the
bound values apart, which is what its own engine caches on: we do the same, and fall back to
the plain path for what cannot be cached (DDL, `IN` lists whose length varies)."""

from __future__ import annotations

from typing import Any

from databases.backends.postgres import PostgresBackend, PostgresConnection
from databases.backends.sqlite import CompilationContext, SQLiteBackend, SQLiteConnection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.ddl import DDLElement

MAX_SHAPES = 2000


class StatementCache:
    def __init__(self) -> None:
        self._compiled: dict[Any, SQLCompiler] = {}

    def lookup(self, query: ClauseElement, dialect: Dialect
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
            # SQLCompiler with its cache key, so later calls can hand in their own values.
            compiled = dialect.statement_compiler(
                dialect, query, cache_key=key, compile_kwargs={"render_postcompile": True})
            self._compiled[key.key] = compiled
        params = compiled.construct_params(extracted_parameters=key.bindparams)
        return compiled, dict(params or {})


class CachedSQLiteConnection(SQLiteConnection):
    cache: StatementCache

    def _compile(self, query: ClauseElement) -> Any:
        found = self.cache.lookup(query, self._dialect)
        if found is None:
            return super()._compile(query)
        compiled, params = found
        processors: dict[str, Any] = compiled._bind_processors  # type: ignore[assignment]
        args = [processors[key](params[key]) if key in processors else params[key]
                for key in compiled.positiontup or ()]
        context: Any = self._dialect.execution_ctx_cls()
        context.dialect = self._dialect
        context.result_column_struct = (
            compiled._result_columns, compiled._ordered_columns,
            compiled._textual_ordered_columns, compiled._ad_hoc_textual,
            compiled._loose_column_name_matching,
        )
        return compiled.string, args, compiled._result_columns, CompilationContext(context)


class CachedSQLiteBackend(SQLiteBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = StatementCache()

    def connection(self) -> SQLiteConnection:
        connection = CachedSQLiteConnection(self._pool, self._dialect)
        connection.cache = self._cache
        return connection


class CachedPostgresConnection(PostgresConnection):
    cache: StatementCache

    def _compile(self, query: ClauseElement) -> Any:
        found = self.cache.lookup(query, self._dialect)
        if found is None:
            return super()._compile(query)
        compiled, params = found
        ordered = sorted(params.items())
        sql = compiled.string % {key: f"${i}" for i, (key, _) in enumerate(ordered, start=1)}
        processors: dict[str, Any] = compiled._bind_processors  # type: ignore[assignment]
        args = [processors[key](value) if key in processors else value for key, value in ordered]
        return sql, args, compiled._result_columns


class CachedPostgresBackend(PostgresBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = StatementCache()

    def connection(self) -> PostgresConnection:
        connection = CachedPostgresConnection(self, self._dialect)
        connection.cache = self._cache
        return connection
