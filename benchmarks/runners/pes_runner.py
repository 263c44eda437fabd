"""``python-event-sourcery==0.6.1`` with its SQLAlchemy backend, in its own venv.

That package also imports as ``event_sourcery`` (the name our library took over),
which is why it runs in a venv of its own, with ``sqlalchemy<2.1`` as 0.6.1 needs.

Setup, as its README describes: a SQLAlchemy Engine (SQLite: a ``connect`` event
listener sets WAL, ``synchronous=FULL`` and ``busy_timeout``, the same pragmas our
library sets; PostgreSQL: ``search_path`` set to the run's fresh schema through
the ``options`` connect argument), ``configure_models(Base)`` on a declarative
base and ``Base.metadata.create_all(engine)``.

The event store is built once, as its docs suggest for thread-scoped sessions:
``SQLAlchemyBackend().configure(scoped_session(sessionmaker(engine))).event_store``
(building a backend per session instead costs it about 10% more per append).

Measured per append, one unit of work: ``event_store.append(*events,
stream_id=StreamId(uuid=...), expected_version=r)``, ``session.commit()`` and
``session.remove()``. Its storage strategy selects the stream, inserts it if
missing (``ON CONFLICT DO NOTHING``), bumps the version with
``UPDATE ... WHERE version = r`` when r > 0, and flushes the ORM event rows.
Measured per load: ``event_store.load_stream(StreamId(uuid=...))`` (which looks
for a snapshot first) plus taking ``.event``, a typed ``Deposited``, out of each
``WrappedEvent``, then ``session.remove()``.

Outbox (``_outbox``): the same backend with ``.with_outbox()`` before the event store is
built, so each append also inserts an outbox row in its transaction. Set-up (untimed)
appends 100 new one-event streams per commit. Measured per relay call:
``backend.outbox.run(publisher, limit=100)``, ``session.commit()`` and
``session.remove()``: it selects up to 100 rows ``ORDER BY id`` (PostgreSQL: ``FOR
UPDATE SKIP LOCKED``), hands each decoded event to ``publisher`` (which notes
``record.wrapped_event.uuid``) and deletes the row; the commit makes the deletes stick.
It returns nothing, so the entries a call took are the publisher's calls during it. It
keeps no attempts: the ledger is the rows left (``tries_left > 0``: pending; otherwise
dead).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _harness
import sqlalchemy
from _harness import Options, Payload
from _outbox import BATCH, Ledger
from event_sourcery_sqlalchemy import SQLAlchemyBackend, configure_models
from event_sourcery_sqlalchemy.models.default import DefaultOutboxEntry
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

# python-event-sourcery 0.6.1 from this venv, not the repository package of the same name
import event_sourcery
from event_sourcery import Event, StreamId

if not Path(event_sourcery.__file__).is_relative_to(sys.prefix):
    raise SystemExit(f"imported {event_sourcery.__file__}, not the PyPI package in {sys.prefix}")


class Base(DeclarativeBase):
    """The application's declarative base that the library's models join."""


class Deposited(Event):
    """The benchmark event; the same shape every implementation uses."""

    account: str
    amount: int
    note: str


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Give every SQLite connection the durability settings our library uses."""
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class PesStore:
    """Adapter from the harness calls to python-event-sourcery's EventStore."""

    def __init__(self, engine: sqlalchemy.Engine, *, with_outbox: bool = False) -> None:
        self._engine = engine
        configure_models(Base)
        Base.metadata.create_all(engine)
        self._session = scoped_session(sessionmaker(engine))
        backend = SQLAlchemyBackend().configure(self._session())
        backend[Session] = lambda _container: self._session  # the thread-scoped proxy
        if with_outbox:
            backend.with_outbox()
        self._store = backend.event_store
        self._outbox = backend.outbox if with_outbox else None

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """One ``event_store.append``, one commit, then end the session."""
        events = [Deposited(account=p.account, amount=p.amount, note=p.note) for p in payloads]
        try:
            self._store.append(
                *events, stream_id=StreamId(uuid=stream), expected_version=expected_version
            )
            self._session.commit()
        finally:
            self._session.remove()

    def load(self, stream: uuid.UUID) -> list[Any]:
        """``event_store.load_stream`` and the typed event of each ``WrappedEvent``."""
        try:
            return [wrapped.event for wrapped in self._store.load_stream(StreamId(uuid=stream))]
        finally:
            self._session.remove()

    def close(self) -> None:
        """Dispose of the engine's pool."""
        self._engine.dispose()


class PesRelay(PesStore):
    """The outbox workloads: ``outbox.run`` to a publisher that notes uuids."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        super().__init__(engine, with_outbox=True)
        self._seen: list[uuid.UUID] = []

    def fill(self, payloads: Sequence[Payload]) -> None:
        """Appends to new streams, 100 to a commit."""
        for start in range(0, len(payloads), BATCH):
            try:
                for p in payloads[start : start + BATCH]:
                    event = Deposited(account=p.account, amount=p.amount, note=p.note)
                    stream = StreamId(uuid=uuid.uuid4())
                    self._store.append(event, stream_id=stream, expected_version=0)
                self._session.commit()
            finally:
                self._session.remove()

    def deliver(self) -> int:
        """One ``outbox.run`` and its commit; the publisher's calls are the entries taken."""
        before = len(self._seen)
        try:
            self._outbox.run(self._note, limit=BATCH)
            self._session.commit()
        finally:
            self._session.remove()
        return len(self._seen) - before

    def seen(self) -> list[str]:
        return [str(event) for event in self._seen]

    def ledger(self) -> Ledger:
        """The rows left: delivered ones are gone, and no attempts are kept."""
        tries_left = DefaultOutboxEntry.tries_left
        count = sqlalchemy.func.count
        query = sqlalchemy.select(count().filter(tries_left > 0), count().filter(tries_left <= 0))
        with self._engine.connect() as connection:
            pending, dead = connection.execute(query).one()
        return Ledger(pending, dead, delivered=None, attempts=None, queued=None)

    def _note(self, record: Any) -> None:
        self._seen.append(record.wrapped_event.uuid)


def _engine(options: Options) -> sqlalchemy.Engine:
    """An Engine for the chosen backend, set up the way the library's docs show."""
    if options.backend == "sqlite":
        engine = sqlalchemy.create_engine(options.url)
        sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"options": f"-csearch_path={options.schema}"} if options.schema else {}
    return sqlalchemy.create_engine(options.url, connect_args=connect_args)


def open_store(options: Options) -> PesStore:
    """The append/load adapter."""
    return PesStore(_engine(options))


def open_relay(options: Options) -> PesRelay:
    """The outbox workloads' store (outbox on) and relay, on an Engine of its own."""
    if options.exchange:
        raise SystemExit("python-event-sourcery 0.6.1 has no RabbitMQ publisher")
    return PesRelay(_engine(options))


if __name__ == "__main__":
    _harness.main(open_store, open_relay=open_relay)
