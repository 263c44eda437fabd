"""Ways in: ``connect(url)`` for notebooks and scripts, ``get_event_store(session)`` for apps."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from event_sourcery.context import Enricher
from event_sourcery.errors import InvalidSetting, StoreUnavailable, UnsupportedURL
from event_sourcery.event_store import EventStore
from event_sourcery.outbox.entries import OutboxFilter
from event_sourcery.outbox.outbox import Outbox
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.registry import EventRegistry, default_registry
from event_sourcery.storage.memory import InMemoryStorage
from event_sourcery.storage.sql import dialects, tables
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.storage.sql.transactions import EngineTransactions, SessionTransactions
from event_sourcery.subscriptions.listeners import Listeners

MEMORY_URL = "memory://"
_SCHEMA_ATTEMPTS = 10


def get_event_store(
    session: Session,
    registry: EventRegistry = default_registry,
    *,
    enrichers: Sequence[Enricher] = (),
    listeners: Listeners | None = None,
    with_outbox: bool | OutboxFilter = False,
) -> EventStore:
    """An EventStore bound to the caller's Session: it never commits; the caller does.
    Pass one ``Listeners`` to every session's store to call the same listeners.
    ``with_outbox`` gives appended events outbox entries, in the session's transaction."""
    storage = SqlStorage(SessionTransactions(session))
    return EventStore(storage, registry, enrichers, listeners, with_outbox)


def get_outbox(
    session: Session,
    registry: EventRegistry = default_registry,
    *,
    retry_policy: RetryPolicy | None = None,
    lease: float = 60.0,
    relay_id: str | None = None,
) -> Outbox:
    """The outbox of the session's database. Its relay commits its own short transactions
    on the session's engine (leasing, then recording), never the session's."""
    store = get_event_store(session, registry)
    return Outbox(store, retry_policy=retry_policy, lease=lease, relay_id=relay_id)


def connect(
    url: str | URL | Engine,
    *,
    registry: EventRegistry = default_registry,
    create_tables: bool = True,
    sqlite_synchronous: str = "FULL",
    enrichers: Sequence[Enricher] = (),
    listeners: Listeners | None = None,
    with_outbox: bool | OutboxFilter = False,
) -> EventStore:
    """An EventStore with its own engine; every append commits as one unit of work.

    ``url``: ``sqlite:///events.db`` (WAL; ``sqlite_synchronous="NORMAL"`` trades the last
    transactions on power loss for speed), ``postgresql+psycopg://...``, an Engine, or
    ``memory://`` for the in-memory backend. ``enrichers`` add context to every event;
    ``with_outbox`` (True, or an ``OutboxFilter``) gives appended events outbox entries.
    """
    sqlite_synchronous = _durability(url, sqlite_synchronous)
    if isinstance(url, str) and url.startswith(MEMORY_URL):
        return EventStore(InMemoryStorage(), registry, enrichers, listeners, with_outbox)
    owns_engine = not isinstance(url, Engine)
    engine = url if isinstance(url, Engine) else _create_engine(url, sqlite_synchronous)
    _refuse_per_thread_memory_databases(engine)
    # An in-memory SQLite database lives in one connection that every thread shares.
    shared_connection = isinstance(engine.pool, StaticPool)
    if create_tables:
        try:
            create_schema(engine)
        except OperationalError as error:
            if owns_engine:
                engine.dispose()
            where = engine.url.render_as_string(hide_password=True)
            raise StoreUnavailable(where, str(error.orig).strip().splitlines()[0]) from None
    transactions = EngineTransactions(engine, owns_engine, serialize=shared_connection)
    return EventStore(SqlStorage(transactions), registry, enrichers, listeners, with_outbox)


def create_schema(engine: Engine) -> None:
    """Create the library's tables and indexes where they are missing.

    Processes starting together may race to create them; whoever loses sees "already
    exists" and looks again, until every table and index is there.
    """
    for attempt in range(_SCHEMA_ATTEMPTS):
        try:
            tables.metadata.create_all(engine)
            _add_missing_columns(engine)
            return
        except (IntegrityError, ProgrammingError, OperationalError) as error:
            message = str(error.orig)
            lost_race = isinstance(error, IntegrityError) or any(
                sign in message for sign in ("already exists", "duplicate column")
            )
            if not lost_race or attempt == _SCHEMA_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


_ADDED_COLUMNS = (
    ("event_sourcery_events", "schema_version", "INTEGER NOT NULL DEFAULT 1"),
    ("event_sourcery_outbox", "delivery_number", ""),
    ("event_sourcery_outbox", "delivered_by", ""),
    ("event_sourcery_outbox", "delivery_started_at", ""),
)
"""Columns added since their tables were first released, with the DDL that adds them
("": nullable, of the type ``tables`` gives it)."""


def _add_missing_columns(engine: Engine) -> None:
    """Bring tables made by an earlier version up to date (``create_all`` only creates
    missing tables): the added columns have defaults (or NULL) that are right for old rows."""
    inspector = inspect(engine)
    present: dict[str, set[str]] = {}
    for table, column, ddl in _ADDED_COLUMNS:
        if table not in present:
            present[table] = {c["name"] for c in inspector.get_columns(table)}
        if column not in present[table]:
            of_type = tables.metadata.tables[table].c[column].type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl or of_type}"))


def _create_engine(url: str | URL, sqlite_synchronous: str) -> Engine:
    # Every unit of work ends its own transaction (EngineTransactions), so the pool need not
    # roll back again when a connection comes back: that saved a fifth of a small append.
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise UnsupportedURL(str(url), str(error)) from None
    backend = parsed.get_backend_name()
    if backend not in dialects.SUPPORTED:
        raise UnsupportedURL(str(url), f"{backend!r} is not a supported database")
    if backend == "postgresql":
        if parsed.get_driver_name() == "psycopg2" and "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Autocommit: a read is its one statement, with no BEGIN and ROLLBACK round trips
        # (and a rollback would drop psycopg's prepared statements); writes still run in a
        # transaction (dialects.begin_write).
        engine = create_engine(parsed, pool_reset_on_return=None, isolation_level="AUTOCOMMIT")
        dialects.ping_idle_connections(engine)
        return engine
    if parsed.database in (None, "", ":memory:"):
        engine = create_engine(
            parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = create_engine(parsed, pool_reset_on_return=None)
    dialects.tune_sqlite_engine(engine, sqlite_synchronous)
    return engine


def _durability(url: str | URL | Engine, sqlite_synchronous: object) -> str:
    """``sqlite_synchronous`` as a key of ``dialects.SQLITE_SYNCHRONOUS`` (any case), checked
    whatever the URL, so that a typo fails where it is made."""
    name = sqlite_synchronous.upper() if isinstance(sqlite_synchronous, str) else None
    if name not in dialects.SQLITE_SYNCHRONOUS:
        raise InvalidSetting(
            "sqlite_synchronous",
            sqlite_synchronous,
            "'FULL' (the default), 'NORMAL' (faster; a power loss may drop the last commits) "
            "or 'EXTRA'",
        )
    return name


def _refuse_per_thread_memory_databases(engine: Engine) -> None:
    """An in-memory SQLite database lives in one connection; a pool that gives each thread
    its own connection gives each thread its own, empty, database."""
    in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
    if in_memory and not isinstance(engine.pool, StaticPool):
        raise UnsupportedURL(
            engine.url.render_as_string(hide_password=True),
            f"an in-memory SQLite engine with {type(engine.pool).__name__} gives every thread "
            "a database of its own; use connect('sqlite://'), or create_engine(..., "
            "poolclass=StaticPool, connect_args={'check_same_thread': False})",
        )
