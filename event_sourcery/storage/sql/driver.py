"""Runs the hot statements through the driver's cursor inside SQLAlchemy's transaction.

The statements are SQLAlchemy Core (``statements.py``), compiled once per dialect; executing
their SQL on the DBAPI cursor skips SQLAlchemy's per-call execution machinery, which cost
more than the database itself on single-event appends and stream loads. Values are adapted
here (``ValueCodec``) exactly as the column types in ``types.py`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Dialect
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """SQL text for one dialect plus the order of its parameters (None: by name)."""

    sql: str
    order: tuple[str, ...] | None

    @classmethod
    def compile(
        cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] | None = None
    ) -> DriverStatement:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        assert isinstance(compiled, SQLCompiler)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        return cls(compiled.string, order)

    def bind(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        return values if self.order is None else tuple(values[key] for key in self.order)

    def run(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute once; the rows it returns (RETURNING or SELECT)."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self.bind(values))
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def run_many(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            bound: list[Any] = [self.bind(row) for row in rows]
            cursor.executemany(self.sql, bound)
        finally:
            cursor.close()


class ValueCodec:
    """Python values to and from what the driver stores (SQLite: text; PostgreSQL: native)."""

    def __init__(self, dialect: Dialect) -> None:
        self.text_only = dialect.name == "sqlite"

    def uuid_in(self, value: UUID) -> Any:
        return value.hex if self.text_only else str(value)

    def uuid_out(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(value)

    def time_in(self, value: datetime) -> Any:
        return value.isoformat(timespec="microseconds") if self.text_only else value

    def time_out(self, value: Any) -> datetime:
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
