"""Runs the backend's statements on the driver connection that SQLAlchemy hands out.

The statements are SQLAlchemy Core (``statements.py``), compiled once per dialect. Running
their SQL on the DBAPI cursor of a pooled (or the Session's) connection skips SQLAlchemy's
per-call execution machinery, which cost more than the database itself on single-event
appends and stream loads. Values are adapted here (``ValueCodec``) exactly as the column
types in ``types.py`` adapt them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Dialect, Table
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from event_sourcery.stored_time import time_from_text

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """SQL text for one dialect plus the order of its parameters (None: by name)."""

    sql: str
    order: tuple[str, ...] | None
    dialect: Dialect = field(compare=False, repr=False)
    columns: tuple[str, ...] = ()
    """For INSERTs: the columns that ``run_rows`` rows hold, in this order."""

    @classmethod
    def compile(
        cls, statement: ClauseElement, dialect: Dialect, columns: Sequence[str] = ()
    ) -> DriverStatement:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) or None)
        assert isinstance(compiled, SQLCompiler)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        if columns and order is not None and order != tuple(columns):
            raise ValueError(f"compiled parameter order {order} is not {tuple(columns)}")
        return cls(compiled.string, order, dialect, tuple(columns))

    def bind(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        return values if self.order is None else tuple([values[key] for key in self.order])

    def run(
        self,
        connection: DBAPIConnection,
        values: Mapping[str, Any],
        before: Sequence[str] = (),
        after: Sequence[str] = (),
    ) -> list[Any]:
        """Execute once; the rows it returns (RETURNING or SELECT), else []. The statements
        ``before`` and ``after`` (no parameters) travel in the same message: psycopg binds
        the values client-side (escaped by its adapters) and sends all of them at once."""
        params = self.bind(values)
        framed = bool(before or after)
        cursor = _client_cursor(connection) if framed else connection.cursor()
        sql = "; ".join((*before, self.sql, *after)) if framed else self.sql
        try:
            cursor.execute(sql, params)
            for _ in before:
                cursor.nextset()
            return list(cursor.fetchall()) if cursor.description else []
        except self.dialect.loaded_dbapi.Error as error:
            # The error names all that was sent: whether it carried a COMMIT matters
            # when the connection breaks (transactions.ConnectionFailed).
            raise as_sqlalchemy_error(
                self.dialect, error, sql, params, connection=connection, cursor=cursor
            ) from error
        finally:
            cursor.close()

    def run_rows(self, connection: DBAPIConnection, rows: Sequence[tuple[Any, ...]]) -> None:
        """executemany with rows that hold ``columns`` in order."""
        columns = self.columns
        bound: list[Any] = (
            list(rows)
            if self.order is not None
            else [dict(zip(columns, row, strict=True)) for row in rows]
        )
        self._executemany(connection, bound)

    def run_many(self, connection: DBAPIConnection, values: Sequence[Mapping[str, Any]]) -> None:
        """executemany with one mapping of parameters per execution."""
        if values:
            self._executemany(connection, [self.bind(each) for each in values])

    def _executemany(self, connection: DBAPIConnection, bound: list[Any]) -> None:
        cursor = connection.cursor()
        try:
            cursor.executemany(self.sql, bound)
        except self.dialect.loaded_dbapi.Error as error:
            raise self._as_sqlalchemy_error(error, bound, connection, cursor) from error
        finally:
            cursor.close()

    def _as_sqlalchemy_error(
        self, error: Any, params: Any, connection: DBAPIConnection, cursor: Any
    ) -> StatementError:
        return as_sqlalchemy_error(
            self.dialect, error, self.sql, params, connection=connection, cursor=cursor
        )


class BulkInsert:
    """Rows inserted in bulk: on PostgreSQL with ``COPY`` (one stream of rows, no
    statement per row), elsewhere with ``executemany``."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect) -> None:
        self.dialect = dialect
        self._each = DriverStatement.compile(table.insert().inline(), dialect, columns)
        self._copy = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"

    def run(self, connection: DBAPIConnection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.dialect.name != "postgresql" or self.dialect.driver != "psycopg":
            self._each.run_rows(connection, rows)
            return
        cursor: Any = connection.cursor()
        try:
            with cursor.copy(self._copy) as copy:
                for row in rows:
                    copy.write_row(row)
        except self.dialect.loaded_dbapi.Error as error:
            raise as_sqlalchemy_error(
                self.dialect, error, self._copy, connection=connection, cursor=cursor
            ) from error
        finally:
            cursor.close()


def _client_cursor(connection: DBAPIConnection) -> Any:
    """A psycopg cursor that binds values client-side, so that one message can carry
    several statements (only PostgreSQL through psycopg is asked for one)."""
    from psycopg import ClientCursor

    return ClientCursor(connection.dbapi_connection)


def once_per_dialect(compile_for: Callable[[Dialect], T]) -> Callable[[Dialect], T]:
    """``compile_for`` run once per dialect class and parameter style; later calls get
    what it built then."""
    built: dict[tuple[type[Dialect], str], T] = {}

    def for_dialect(dialect: Dialect) -> T:
        key = (type(dialect), dialect.paramstyle)
        found = built.get(key)
        if found is None:
            found = built[key] = compile_for(dialect)
        return found

    return for_dialect


def as_sqlalchemy_error(
    dialect: Dialect,
    error: Any,
    sql: str,
    params: Any = None,
    *,
    connection: DBAPIConnection | None = None,
    cursor: Any = None,
) -> StatementError:
    """The exception SQLAlchemy itself would raise for a driver error (``IntegrityError``,
    ``OperationalError``...), flagged when the connection is gone, so that callers'
    handlers and the pool treat it as they treat any SQLAlchemy error."""
    wrapped: StatementError = DBAPIError.instance(
        sql,
        params,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dialect.is_disconnect(error, connection, cursor),
        dialect=dialect,
    )
    return wrapped


class ValueCodec:
    """Python values to and from what the driver stores (SQLite: text; PostgreSQL: native)."""

    @classmethod
    def of(cls, dialect: Dialect) -> ValueCodec:
        """The codec for this dialect (one per dialect name)."""
        codec = _codecs.get(dialect.name)
        if codec is None:
            codec = _codecs[dialect.name] = cls(dialect)
        return codec

    def __init__(self, dialect: Dialect) -> None:
        text_only = dialect.name == "sqlite"
        self.uuid_in: Callable[[UUID], Any] = _hex if text_only else str
        self.time_in: Callable[[datetime], Any] = _iso if text_only else _same
        self.uuid_out: Callable[[Any], UUID] = UUID if text_only else _as_uuid
        self.time_out: Callable[[Any], datetime] = time_from_text if text_only else _as_utc
        """Text that is not a time (a row changed with SQL) reads as an ``UnreadableTime``."""
        self.time_text: Callable[[datetime], str] = _iso
        """A time inside a JSON parameter: the text SQLite stores, which PostgreSQL casts."""


_codecs: dict[str, ValueCodec] = {}


def _hex(value: UUID) -> str:
    return value.hex


def _iso(value: datetime) -> str:
    """SQLite keeps times as text and compares them as text: always in UTC, so that
    "+05:00" and "+00:00" never meet."""
    return _as_utc(value).isoformat(timespec="microseconds")


def _same(value: datetime) -> datetime:
    return value


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)
