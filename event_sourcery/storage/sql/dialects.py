"""Everything that differs between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

import select as io
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Dialect,
    Engine,
    Select,
    Subquery,
    Table,
    any_,
    bindparam,
    cast,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.types import TypeEngine

from event_sourcery.errors import InvalidSetting, UnsupportedURL

SUPPORTED = ("sqlite", "postgresql")


def insert(dialect_name: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that knows ON CONFLICT on this dialect."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise UnsupportedURL(dialect_name, f"the {dialect_name!r} dialect is not supported")


def json_values(
    dialect_name: str, parameter: str, uuids: bool = False, integers: bool = False
) -> Select[Any]:
    """The strings (or ``uuids``, or ``integers``) of a JSON array passed as ``parameter``,
    as a subquery for ``IN``."""
    if dialect_name == "postgresql":
        values = func.jsonb_array_elements_text(cast(bindparam(parameter), postgresql.JSONB))
        if uuids:
            return select(cast(values, postgresql.UUID))
        return select(cast(values, BigInteger) if integers else values)
    return select(literal_column("value")).select_from(func.json_each(bindparam(parameter)))


def json_rows(
    dialect_name: str, parameter: str, columns: Mapping[str, TypeEngine[Any]]
) -> Subquery:
    """A JSON array of arrays passed as ``parameter`` as rows whose items are ``columns``,
    in order (for ``UPDATE ... FROM``: one value per row in one parameter). SQLite keeps
    the items as JSON gives them, so times must be given as the text it stores."""
    if dialect_name == "postgresql":
        rows = func.jsonb_array_elements(cast(bindparam(parameter), postgresql.JSONB))
        row = rows.table_valued("value").alias("given_row")
        fields = [
            cast(row.c.value.op("->>")(literal_column(str(index))), type_).label(name)
            for index, (name, type_) in enumerate(columns.items())
        ]
    else:
        row = func.json_each(bindparam(parameter)).table_valued("value").alias("given_row")
        fields = [
            func.json_extract(row.c.value, literal_column(f"'$[{index}]'")).label(name)
            for index, name in enumerate(columns)
        ]
    return select(*fields).select_from(row).subquery("given")


def in_json_array(
    dialect_name: str, column: ColumnElement[Any], parameter: str, integers: bool = False
) -> ColumnElement[bool]:
    """``column`` is one of the JSON array passed as ``parameter``. On PostgreSQL as
    ``= ANY(array(...))``, which probes the column's index for each value whatever the
    table's statistics say (``IN (subquery)`` may be planned as a scan of the table)."""
    return is_one_of(dialect_name, column, json_values(dialect_name, parameter, integers=integers))


def is_one_of(
    dialect_name: str, column: ColumnElement[Any], values: Select[Any]
) -> ColumnElement[bool]:
    """``column`` is one of the values ``values`` selects; on PostgreSQL as ``= ANY(array(...))``
    (see ``in_json_array``)."""
    if dialect_name == "postgresql":
        return column == any_(func.array(values.scalar_subquery()))
    return column.in_(values)


NOTIFY_CHANNEL = "event_sourcery"
"""PostgreSQL: the channel every committed append notifies, for subscribers to wake on."""


def wake_subscribers(dialect_name: str) -> tuple[ColumnElement[Any], ...]:
    """Extra RETURNING columns of a successful claim that wake subscribers: on PostgreSQL a
    ``pg_notify``, which the server sends when (and only if) the transaction commits."""
    if dialect_name != "postgresql":
        return ()
    return (func.pg_notify(literal_column(f"'{NOTIFY_CHANNEL}'"), literal_column("''")),)


OUTBOX_CLAIM_START = (
    "SELECT pg_advisory_xact_lock(7461540432168870721)",
    "SET LOCAL enable_sort = off",
    "SET LOCAL enable_bitmapscan = off",
    "SET LOCAL synchronous_commit = off",
)
"""PostgreSQL: relays take turns to claim outbox entries (a transaction-scoped advisory
lock; the number is an arbitrary constant of the library's own). The claim walks the
pending entries in position order and stops at its limit; on a table without statistics
yet (just created, or just filled) the planner would rather collect every pending entry
and sort them, so the claim's transaction turns that plan off. A claim need not wait for
the disk: a lease lost in a crash only means the entry is claimed again (delivery is at
least once anyway); the outcomes a relay records are committed durably."""


OUTBOX_RECORD_START = ("SELECT pg_advisory_xact_lock_shared(7461540432168870721)",)
"""PostgreSQL: outcomes are recorded between claims, never during one: a claim reads which
entries hold their streams back, and an outcome recorded meanwhile (an earlier entry
failing, say) would be missed by the rows it already read."""


def record_start(dialect_name: str) -> tuple[str, ...]:
    """What opens a unit that records outcomes: it waits for a claim in progress (and
    claims for it); records do not wait for each other. SQLite's write lock does this."""
    return OUTBOX_RECORD_START if dialect_name == "postgresql" else ()


def claim_start(dialect_name: str) -> tuple[str, ...]:
    """What opens a claim: claims take turns, on PostgreSQL with an advisory lock; SQLite's
    write transaction (BEGIN IMMEDIATE) already holds the database's one write lock."""
    return OUTBOX_CLAIM_START if dialect_name == "postgresql" else ()


SAVEPOINT = "SAVEPOINT event_sourcery_append"
RELEASE_SAVEPOINT = "RELEASE SAVEPOINT event_sourcery_append"
ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT event_sourcery_append"


def begin_write(connection: Any, dialect_name: str, then: Sequence[str] = ()) -> None:
    """Make sure a write unit runs in a real transaction, whatever the engine's settings
    (pysqlite's autocommit recipes, ``isolation_level="AUTOCOMMIT"``): SQLite takes its
    write lock up front with BEGIN IMMEDIATE; PostgreSQL begins when in autocommit. The
    statements ``then`` (no parameters) open the unit, on PostgreSQL in the same round
    trip as its BEGIN."""
    driver = connection.dbapi_connection
    if dialect_name == "sqlite":
        if not driver.in_transaction:
            driver.execute("BEGIN IMMEDIATE")
        for statement in then:
            execute(connection, statement)
    elif getattr(driver, "autocommit", False) or then:
        begin = ("BEGIN",) if getattr(driver, "autocommit", False) else ()
        execute(connection, "; ".join((*begin, *then)))


def begins_with_first_statement(connection: Any, dialect: Dialect) -> bool:
    """Whether a write unit's BEGIN (and opening statements) can travel in one message with
    its first statement: psycopg in autocommit (our PostgreSQL engines), whose client-side
    binding sends several statements at once (``DriverStatement.run``'s ``before``)."""
    return dialect.driver == "psycopg" and bool(
        getattr(connection.dbapi_connection, "autocommit", False)
    )


def execute(connection: Any, sql: str) -> None:
    """Run one statement without parameters on a driver connection."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


SQLITE_SYNCHRONOUS = {
    "FULL": "PRAGMA synchronous=FULL",
    "NORMAL": "PRAGMA synchronous=NORMAL",
    "EXTRA": "PRAGMA synchronous=EXTRA",
}
"""The durability settings a SQLite engine may run with, each with its statement (a
caller's string never reaches the PRAGMA). In WAL mode FULL syncs the log at every commit;
NORMAL syncs it only at checkpoints, so a power loss or OS crash may drop the last commits
(never corrupt the file); a process crash loses nothing with either. EXTRA is FULL here."""

WAL_SWITCH_SECONDS = 30.0
"""How long a connection keeps trying to switch a fresh file to WAL (the busy timeout)."""


def tune_sqlite_engine(engine: Engine, synchronous: str = "FULL") -> None:
    """WAL, the given durability (a key of ``SQLITE_SYNCHRONOUS``) and a busy timeout on
    every connection; pysqlite opens each write transaction with BEGIN IMMEDIATE, so a
    writer takes the write lock up front instead of failing to upgrade a read lock under
    contention."""
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise InvalidSetting("synchronous", synchronous, ", ".join(map(repr, SQLITE_SYNCHRONOUS)))
    set_synchronous = SQLITE_SYNCHRONOUS[synchronous]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = "IMMEDIATE"
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        switch_to_wal(cursor, busy=engine.dialect.loaded_dbapi.OperationalError)
        cursor.execute(set_synchronous)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def switch_to_wal(cursor: Any, busy: type[Exception], within: float = WAL_SWITCH_SECONDS) -> None:
    """``PRAGMA journal_mode=WAL``, again after a short pause while SQLite refuses it as busy.

    Connections opening a file not yet in WAL mode (a fresh one) together each switch it,
    which takes the file's exclusive lock from under the statement's own read lock. When
    one holds its read lock while another waits for it to go, SQLite does not call the
    first one's busy handler (both waiting would deadlock): it fails at once with
    SQLITE_BUSY, whatever the busy timeout. Retrying ends the statement (releasing its read
    lock), so the other's switch completes; the file is then in WAL mode and the switch
    needs no exclusive lock. ``busy``: the driver's error for it; tried for ``within`` s.
    """
    deadline = time.monotonic() + within
    pause = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except busy as error:
            if "database is locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


IDLE_PING_SECONDS = 1.0
"""A pooled connection idle for longer than this is pinged before it is handed out."""


def ping_idle_connections(engine: Engine, after: float = IDLE_PING_SECONDS) -> None:
    """Replace dead pooled connections without a round trip on every checkout (what
    ``pool_pre_ping`` costs): a connection idle for more than ``after`` seconds, or one the
    server wrote to while it was idle (a server shutting down says so, then closes it), is
    pinged, and a dead one is discarded for a fresh one. One that dies while in use fails
    that call, and the pool is refreshed for the next."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["event_sourcery_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("event_sourcery_idle_since", None)
        if idle_since is None:
            return
        if time.monotonic() - idle_since <= after and not _server_wrote(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"pooled connection is dead: {error}") from error


def _server_wrote(dbapi_connection: Any) -> bool:
    """Whether an idle connection has something to read: between statements a server only
    writes to say it is closing the connection (or has closed it)."""
    try:
        descriptor = dbapi_connection.fileno()
    except Exception:  # a driver without one, or a closed connection: wait for the ping
        return False
    if not hasattr(io, "poll"):  # Windows: wait for the ping
        return False
    poller = io.poll()
    poller.register(descriptor, io.POLLIN)
    return bool(poller.poll(0))
