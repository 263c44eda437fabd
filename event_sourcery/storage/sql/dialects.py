"""Everything that differs between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Engine, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from event_sourcery.errors import UnsupportedURL

SUPPORTED = ("sqlite", "postgresql")

# Execution option marking a connection whose transaction will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "event_sourcery_write"


def insert(dialect_name: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that knows ON CONFLICT on this dialect."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise UnsupportedURL(dialect_name, f"the {dialect_name!r} dialect is not supported")


def max_binds(dialect: Dialect) -> int:
    """How many bind parameters one statement may carry on this dialect."""
    return 32_000 if dialect.name == "sqlite" else 65_000


def tune_sqlite_engine(engine: Engine, synchronous: str = "FULL") -> None:
    """WAL, the given durability, a busy timeout, and explicit BEGIN (IMMEDIATE for writes).

    pysqlite's own implicit BEGIN is switched off so that a write transaction takes the write
    lock up front instead of failing to upgrade a read lock under contention.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
