"""Raw driver calls: the floor for what our library's SQL can cost.

Runs in the repository venv. It executes the statements our ``SqlStorage`` issues
(mirrored from ``event_sourcery/storage/sql/statements.py``: keep them in sync,
including the ``pg_notify`` a PostgreSQL claim returns to wake subscribers) on
the tables our ``create_schema`` makes,
through stdlib ``sqlite3`` or ``psycopg`` 3 directly, with the same durability
settings (SQLite: WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` ... ``COMMIT``;
PostgreSQL: server defaults, one transaction per append). The payload is
serialised with the same pydantic model's ``model_dump_json()`` and stored with its
``schema_version`` (1); loads select ``schema_version`` and ``data`` as text
(``CAST(... AS TEXT)``, as ours does) and parse the data with ``model_validate_json``.
Reads are single statements outside a transaction (PostgreSQL in autocommit), as ours.

Measured per append: build the ``Deposited`` objects, one transaction with the
stream insert-or-version-bump plus one ``executemany`` of the event rows.
Measured per load: the one statement ``load_stream`` runs (the stream's latest
snapshot, which this benchmark never stores, then the events after it), plus one
``Deposited`` per row. There are no aggregates here, so the rebuild
workloads are n/a.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import _harness
from _harness import Options, Payload

from event_sourcery import MAX_VERSION, Event, create_schema


class Deposited(Event):
    """The benchmark event; the same class shape every implementation uses."""

    account: str
    amount: int
    note: str


TYPE_NAME = "Deposited"
SCHEMA_VERSION = Deposited.__schema_version__

NEW_STREAM = (
    "INSERT INTO event_sourcery_streams (uuid, category, name, version) "
    "VALUES ({p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING RETURNING id{wake}"
)
BUMP_VERSION = (
    "UPDATE event_sourcery_streams SET version = version + {p} "
    "WHERE uuid = {p} AND category = {p} AND version = {p} RETURNING id{wake}"
)
PG_WAKE = ", pg_notify('event_sourcery', '')"
"""PostgreSQL: a successful claim also wakes subscribers (NOTIFY, sent at commit)."""
INSERT_EVENT = (
    "INSERT INTO event_sourcery_events "
    "(uuid, stream_id, version, type, schema_version, data, context, created_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
EVENT_COLUMNS = (
    "e.position, e.uuid, e.version, e.type, e.schema_version, CAST(e.data AS TEXT) AS data, "
    "CAST(e.context AS TEXT) AS context, e.created_at, (SELECT name FROM this_stream) AS name, "
    "0 AS is_snapshot FROM event_sourcery_events e "
    "WHERE e.stream_id = (SELECT id FROM this_stream) "
)
LOAD_LATEST = (
    "WITH this_stream AS (SELECT id, name FROM event_sourcery_streams "
    "WHERE uuid = {p} AND category = {p}), "
    "latest_snapshot AS (SELECT n.position, n.uuid, n.version, n.type, n.schema_version, "
    "n.data, '{{}}' AS context, n.created_at FROM event_sourcery_snapshots n "
    "WHERE n.stream_id = (SELECT id FROM this_stream) AND n.version >= {p} "
    "AND n.version <= {p} ORDER BY n.version DESC, n.id DESC LIMIT 1 OFFSET 0) "
    "SELECT l.position, l.uuid, l.version, l.type, l.schema_version, "
    "CAST(l.data AS TEXT) AS data, l.context, l.created_at, "
    "(SELECT name FROM this_stream) AS name, 1 AS is_snapshot FROM latest_snapshot l "
    "UNION ALL SELECT " + EVENT_COLUMNS + "AND e.version > coalesce("
    "(SELECT version FROM latest_snapshot), {p}) AND e.version <= {p} "
    "UNION ALL SELECT " + EVENT_COLUMNS + "AND e.version IS NULL "
    "ORDER BY version, position"
)
DATA = 5  # the column of LOAD_LATEST that holds the JSON payload


def create_tables(url: str, schema: str | None = None) -> None:
    """Create exactly our tables and indexes (untimed set-up): the DDL is the library's own,
    so the raw rows pay for the same indexes, autoincrement and foreign key."""
    from sqlalchemy import create_engine

    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        create_schema(engine)
    finally:
        engine.dispose()


class ConcurrencyError(RuntimeError):
    """The stream was not at the expected version (never expected in this benchmark)."""


def no_snapshot(rows: list[Any]) -> None:
    """Raw loads read whole streams: a snapshot (never stored here) would be a bug."""
    if rows and rows[0][-1]:
        raise RuntimeError(f"unexpected snapshot at version {rows[0][2]}")


class SqliteRaw:
    """stdlib ``sqlite3`` in autocommit mode with explicit ``BEGIN IMMEDIATE``."""

    def __init__(self, path: str) -> None:
        create_tables(f"sqlite:///{path}")
        self._conn = sqlite3.connect(path, isolation_level=None)
        pragmas = ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000", "foreign_keys=ON")
        for pragma in pragmas:
            self._conn.execute(f"PRAGMA {pragma}")

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """Insert or bump the stream row, then insert the event rows, in one transaction."""
        events = [Deposited(account=p.account, amount=p.amount, note=p.note) for p in payloads]
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if expected_version == 0:
                params: tuple[Any, ...] = (stream.hex, "", None, len(events))
                row = conn.execute(NEW_STREAM.format(p="?", wake=""), params).fetchone()
            else:
                params = (len(events), stream.hex, "", expected_version)
                row = conn.execute(BUMP_VERSION.format(p="?", wake=""), params).fetchone()
            if row is None:
                raise ConcurrencyError(f"stream {stream} not at version {expected_version}")
            created_at = datetime.now(UTC).isoformat()
            rows = [
                (uuid.uuid4().hex, row[0], expected_version + n, TYPE_NAME, SCHEMA_VERSION,
                 event.model_dump_json(), "{}", created_at)
                for n, event in enumerate(events, start=1)
            ]  # fmt: skip
            conn.executemany(INSERT_EVENT.format(p="?"), rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def load(self, stream: uuid.UUID) -> list[Deposited]:
        """Run the one statement ``load_stream`` runs (latest snapshot, then the events);
        validate each JSON text."""
        params = (stream.hex, "", 0, MAX_VERSION, 0, MAX_VERSION)
        rows = self._conn.execute(LOAD_LATEST.format(p="?"), params).fetchall()
        no_snapshot(rows)
        return [Deposited.model_validate_json(row[DATA]) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class PostgresRaw:
    """``psycopg`` 3, one connection, one transaction per append."""

    def __init__(self, options: Options) -> None:
        import psycopg  # only needed, and only installed, for the PostgreSQL rows

        extra: dict[str, Any] = {}
        if options.schema:
            extra["options"] = f"-csearch_path={options.schema}"
        create_tables(options.url, options.schema)
        # Autocommit, as connect()'s own engine: reads are single statements, appends
        # run in ``transaction()`` blocks, which BEGIN and COMMIT explicitly.
        self._conn: Any = psycopg.connect(options.libpq_url, autocommit=True, **extra)

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """Insert or bump the stream row, then ``executemany`` the event rows; commit."""
        events = [Deposited(account=p.account, amount=p.amount, note=p.note) for p in payloads]
        with self._conn.transaction(), self._conn.cursor() as cur:
            if expected_version == 0:
                params: tuple[Any, ...] = (stream, "", None, len(events))
                row = cur.execute(NEW_STREAM.format(p="%s", wake=PG_WAKE), params).fetchone()
            else:
                params = (len(events), stream, "", expected_version)
                row = cur.execute(BUMP_VERSION.format(p="%s", wake=PG_WAKE), params).fetchone()
            if row is None:
                raise ConcurrencyError(f"stream {stream} not at version {expected_version}")
            created_at = datetime.now(UTC)
            rows = [
                (uuid.uuid4(), row[0], expected_version + n, TYPE_NAME, SCHEMA_VERSION,
                 event.model_dump_json(), "{}", created_at)
                for n, event in enumerate(events, start=1)
            ]  # fmt: skip
            cur.executemany(INSERT_EVENT.format(p="%s"), rows)

    def load(self, stream: uuid.UUID) -> list[Deposited]:
        """Run the one statement ``load_stream`` runs (data cast to text), in autocommit
        as ours reads."""
        params = (stream, "", 0, MAX_VERSION, 0, MAX_VERSION)
        rows = self._conn.execute(LOAD_LATEST.format(p="%s"), params).fetchall()
        no_snapshot(rows)
        return [Deposited.model_validate_json(row[DATA]) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def open_store(options: Options) -> SqliteRaw | PostgresRaw:
    """The raw adapter for the chosen backend."""
    if options.backend == "sqlite":
        return SqliteRaw(options.sqlite_path)
    return PostgresRaw(options)


if __name__ == "__main__":
    _harness.main(open_store)
