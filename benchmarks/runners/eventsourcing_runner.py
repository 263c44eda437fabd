"""``eventsourcing==9.5.6`` through its application API, in its own venv.

Setup: a plain ``eventsourcing.application.Application`` configured through its
``env`` with the library's own persistence modules: ``eventsourcing.sqlite``
(``SQLITE_DBNAME``; the module itself switches the file to WAL, and the runner
checks that ``synchronous`` is FULL, SQLite's default) or ``eventsourcing.postgres``
(``POSTGRES_*`` settings plus ``POSTGRES_SCHEMA`` for the run's fresh schema).
Tables are created by the library (``CREATE_TABLE`` defaults to on).

The event is a ``DomainEvent`` subclass (the library makes it a frozen dataclass)
with ``account``, ``amount`` and ``note``. eventsourcing expresses an expected
version through the events themselves: an event for a stream at version ``r``
carries ``originator_version = r + 1``, and the recorder's primary key on
``(originator_id, originator_version)`` rejects a concurrent writer.

Measured per append: build the ``Deposited`` events (with ``timestamp`` from
``create_timestamp()``) and ``app.save(*events)``: one ``insert_events``
transaction via the mapper (JSON transcoder) and the application recorder (on
PostgreSQL that includes the recorder's ``LOCK TABLE`` for gapless notification
ids, which is its default behaviour). Measured per load:
``list(app.events.get(stream))``, i.e. select plus mapping every stored event
back to a ``Deposited`` object. Aggregates are not used here: they would add
mutation/replay work our ``load_stream`` does not do; the rebuild workloads use them
(``_eventsourcing_rebuild``).

Writers (``_writers``): each writer process has its own ``Application`` and saves
its own originator's events as above. Latency (``_latency``, PostgreSQL only: its
SQLite recorder has no subscriptions): the subscriber's ``Application`` follows
``ApplicationSubscription(app, gt=app.recorder.max_notification_id())`` (its
recorder's LISTEN/NOTIFY subscription, which yields one decoded event at a time).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import _harness
from _eventsourcing_rebuild import EventsourcingRebuilder
from _harness import Options, Payload
from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.projection import ApplicationSubscription


class Deposited(DomainEvent):
    """The benchmark event; the same fields every implementation uses."""

    account: str
    amount: int
    note: str


class EventsourcingStore:
    """Adapter from the harness calls to an eventsourcing ``Application``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.app: Application[uuid.UUID] = Application(env=env)

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """``app.save`` of events numbered from ``expected_version + 1``."""
        events = [
            Deposited(
                originator_id=stream,
                originator_version=expected_version + n,
                timestamp=Deposited.create_timestamp(),
                account=p.account,
                amount=p.amount,
                note=p.note,
            )
            for n, p in enumerate(payloads, start=1)
        ]
        self.app.save(*events)

    def load(self, stream: uuid.UUID) -> list[Any]:
        """``app.events.get`` materialised into a list of ``Deposited``."""
        return list(self.app.events.get(stream))

    def close(self) -> None:
        """Close the application's connection pool."""
        self.app.close()


class EventsourcingFollower:
    """The latency workload's subscriber: an ``ApplicationSubscription`` from the end."""

    def __init__(self, env: dict[str, str]) -> None:
        self.app: Application[uuid.UUID] = Application(env=env)
        end = self.app.recorder.max_notification_id()
        self._subscription = ApplicationSubscription(self.app, gt=end)
        self._subscription.__enter__()

    def batches(self) -> Iterator[list[int]]:
        """Each event as the subscription yields it, one at a time."""
        for event, _tracking in self._subscription:
            yield [event.amount]  # type: ignore[attr-defined]

    def close(self) -> None:
        """Stop the subscription (joining its threads) and close the application."""
        self._subscription.__exit__(None, None, None)
        self.app.close()


def check_sqlite_durability(app: Application[uuid.UUID]) -> None:
    """Fail unless the recorder's SQLite connection uses WAL and synchronous=FULL."""
    datastore: Any = app.recorder.datastore  # the SQLite recorder has one
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    if mode.lower() != "wal" or synchronous != 2:
        raise SystemExit(f"eventsourcing SQLite: journal_mode={mode} synchronous={synchronous}")


def env_for(options: Options) -> dict[str, str]:
    """The application ``env`` for the chosen backend and the run's database."""
    if options.backend == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": options.sqlite_path}
    pg = options.pg_parts
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": pg["dbname"],
        "POSTGRES_HOST": pg["host"],
        "POSTGRES_PORT": pg["port"],
        "POSTGRES_USER": pg["user"],
        "POSTGRES_PASSWORD": pg["password"],
        "POSTGRES_SCHEMA": options.schema or "public",
    }


def open_store(options: Options) -> EventsourcingStore:
    """An Application on the chosen backend, configured only through its env."""
    store = EventsourcingStore(env_for(options))
    if options.backend == "sqlite":
        check_sqlite_durability(store.app)
    return store


def open_rebuilder(options: Options) -> EventsourcingRebuilder:
    """The rebuild adapter, snapshotting when the workload is ``rebuild-snap``."""
    rebuilder = EventsourcingRebuilder(env_for(options), options.snapshots)
    if options.backend == "sqlite":
        check_sqlite_durability(rebuilder.app)
    return rebuilder


def open_follower(options: Options) -> EventsourcingFollower:
    """The latency workload's subscriber, on an Application of its own."""
    return EventsourcingFollower(env_for(options))


if __name__ == "__main__":
    _harness.main(open_store, open_rebuilder, open_follower=open_follower)
