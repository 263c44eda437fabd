"""Our library, ``event_sourcery`` from the repository venv, used as a user would.

SQLite: ``connect("sqlite:////path/events.db")`` (the library sets WAL,
``synchronous=FULL`` and ``busy_timeout`` on every connection itself).
PostgreSQL: ``connect(url)`` with the URL's ``options`` setting ``search_path`` to the
fresh schema the orchestrator created for this run.

Measured per append: build the ``Deposited`` objects and call
``store.append(*events, stream_id=..., expected_version=r)`` (one transaction).
Measured per load: ``store.load_stream(stream)`` plus taking ``.event`` (a typed
``Deposited``) out of each envelope.

Rebuilds (``_rebuild``): an ``Account(Aggregate)`` whose ``@applies(Deposited)``
handler does ``balance += amount; count += 1`` and whose ``__snapshot__`` /
``__restore__`` go through an ``AccountSnapshot(balance, count)`` event. Measured per
rebuild: ``Repository(store).load(stream, Account)`` (``rebuild``) or
``Repository(store, snapshot_every=100).load(stream, Account)`` (``rebuild-snap``).
Set-up with snapshots: 100 units of work ``with repository.aggregate(stream,
Account()) as account:`` depositing 100 events each, so the repository snapshots at
versions 100, ..., 10,000. Without snapshots the set-up appends the same events with
``store.append(..., expected_version=v)`` (what the repository appends) rather than
replaying the growing stream before each of the 100 saves.

Writers (``_writers``): each writer process ``connect``s on its own and appends as above.
Latency (``_latency``): the subscriber ``connect``s and follows
``store.subscribe(after=store.position)`` (PostgreSQL: woken by LISTEN/NOTIFY, the
library's default ``poll_interval`` of 1 s only as a fallback; SQLite: polling every
``SQLITE_POLL_INTERVAL``), taking ``.event.amount`` out of each batch it yields.

Outbox (``_outbox``): set-up ``connect(url, with_outbox=True)`` and one
``store.append(event, stream_id=new uuid, expected_version=0)`` per event; each relay
process ``connect``s on its own and calls ``store.outbox.run_once(publisher, limit=100)``,
where ``publisher`` notes ``record.uuid`` (``outbox-rabbitmq``: after
``RabbitMQPublisher(url, exchange=...)`` sent it, confirmed). The ledger is
``store.outbox.counts()`` and ``len(store.outbox.attempts())``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import _harness
from _harness import Options, Payload, expect
from _latency import SQLITE_POLL_INTERVAL
from _outbox import BATCH, Ledger
from _rebuild import SNAPSHOT_EVERY

from event_sourcery import (
    Aggregate,
    EntryStatus,
    Event,
    Recorded,
    RecordedSnapshot,
    Repository,
    applies,
    connect,
)


class Deposited(Event):
    """The benchmark event; the same shape every implementation uses."""

    account: str
    amount: int
    note: str


class AccountSnapshot(Event):
    """An ``Account``'s state, as its snapshots store it."""

    balance: int
    count: int


class Account(Aggregate):
    """The rebuild workloads' aggregate: the sum and number of its deposits."""

    def __init__(self) -> None:
        self.balance = 0
        self.count = 0

    def deposit(self, p: Payload) -> None:
        """The command: emit one ``Deposited``."""
        self._emit(Deposited(account=p.account, amount=p.amount, note=p.note))

    @applies(Deposited)
    def _deposited(self, event: Deposited) -> None:
        self.balance += event.amount
        self.count += 1

    def __snapshot__(self) -> Event:
        return AccountSnapshot(balance=self.balance, count=self.count)

    def __restore__(self, snapshot: Event) -> None:
        assert isinstance(snapshot, AccountSnapshot)
        self.balance, self.count = snapshot.balance, snapshot.count


class Ours:
    """Adapter from the harness calls to our public API."""

    def __init__(self, store: Any, close: Callable[[], None]) -> None:
        self._store = store
        self._close = close

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """One ``store.append`` call with all events and the expected version."""
        events = [Deposited(account=p.account, amount=p.amount, note=p.note) for p in payloads]
        self._store.append(*events, stream_id=stream, expected_version=expected_version)

    def load(self, stream: uuid.UUID) -> list[Deposited]:
        """``store.load_stream`` and the typed event of each envelope."""
        return [envelope.event for envelope in self._store.load_stream(stream)]

    def close(self) -> None:
        """Close the store (if it can be closed) and dispose of our engine."""
        close_store = getattr(self._store, "close", None)
        if callable(close_store):
            close_store()
        self._close()


class OursRebuilder(Ours):
    """The rebuild calls on the same store, through our ``Repository``."""

    def __init__(self, store: Any, close: Callable[[], None], snapshots: bool) -> None:
        super().__init__(store, close)
        self._snapshots = snapshots
        self._repository: Repository[Account] = Repository(
            store, snapshot_every=SNAPSHOT_EVERY if snapshots else None
        )

    def save(self, stream: uuid.UUID, version: int, payloads: Sequence[Payload]) -> None:
        """One unit of work on the account; plain appends when nothing snapshots."""
        if not self._snapshots:
            self.append(stream, version, payloads)
            return
        with self._repository.aggregate(stream, Account()) as account:
            expect(account.__stream__.loaded_version == version, "rebuild set-up: version")
            for p in payloads:
                account.deposit(p)

    def rebuild(self, stream: uuid.UUID) -> Account:
        """``Repository.load``: from the latest snapshot, if any, then later events."""
        return self._repository.load(stream, Account)

    def snapshot_versions(self, stream: uuid.UUID) -> list[int]:
        """The versions ``store.snapshots_raw`` lists."""
        return [raw.version or 0 for raw in self._store.snapshots_raw(stream)]

    def rebuild_start(self, stream: uuid.UUID) -> int:
        """What ``Repository.load`` reads first: a snapshot's version, or 0."""
        first = self._store.load_stream(stream, snapshots=Account.can_snapshot())[0]
        return (first.version or 0) if isinstance(first, RecordedSnapshot) else 0


class OursFollower:
    """The latency workload's subscriber: ``store.subscribe`` from the store's end."""

    FOLLOW_TIMEOUT = 30.0
    """Seconds without new events after which the subscription ends on its own."""

    def __init__(self, store: Any, close: Callable[[], None], backend: str) -> None:
        self._close = close
        polling = {"poll_interval": SQLITE_POLL_INTERVAL} if backend == "sqlite" else {}
        self._subscription = store.subscribe(
            after=store.position, timeout=self.FOLLOW_TIMEOUT, **polling
        )

    def batches(self) -> Iterator[list[int]]:
        """The amounts of each batch the subscription yields."""
        for batch in self._subscription:
            yield [recorded.event.amount for recorded in batch]

    def close(self) -> None:
        """Release the listening connection, then the store's."""
        self._subscription.close()
        self._close()


class OursRelay(Ours):
    """The outbox workloads: ``store.outbox.run_once`` to a publisher that notes uuids
    (after sending to RabbitMQ when the run has an exchange)."""

    def __init__(self, store: Any, close: Callable[[], None], options: Options) -> None:
        super().__init__(store, close)
        self._seen: list[uuid.UUID] = []
        self._options = options
        self._broker: Any = None
        if options.exchange:
            from event_sourcery.outbox.rabbitmq import RabbitMQPublisher

            self._broker = RabbitMQPublisher(options.amqp_url, exchange=options.exchange)

    def fill(self, payloads: Sequence[Payload]) -> None:
        """One ``store.append`` per event, each to a new stream."""
        for p in payloads:
            self.append(uuid.uuid4(), 0, [p])

    def deliver(self) -> int:
        """One ``run_once``; every entry it took must have been delivered."""
        report = self._store.outbox.run_once(self._publish, limit=BATCH)
        expect(report.delivered == report.claimed, f"outbox: {report}")
        return int(report.claimed)

    def seen(self) -> list[str]:
        return [str(event) for event in self._seen]

    def ledger(self) -> Ledger:
        """``counts()``, every attempt, and the run's queue."""
        counts = self._store.outbox.counts()
        return Ledger(
            pending=counts[EntryStatus.PENDING],
            dead=counts[EntryStatus.DEAD],
            delivered=counts[EntryStatus.DELIVERED],
            attempts=len(self._store.outbox.attempts()),
            queued=None if self._broker is None else self._queued(),
        )

    def close(self) -> None:
        if self._broker is not None:
            self._broker.close()
        super().close()

    def _publish(self, record: Recorded[Event]) -> None:
        if self._broker is not None:
            self._broker(record)
        self._seen.append(record.uuid)

    def _queued(self) -> int:
        """Messages in the queue the orchestrator bound to the exchange (same name)."""
        import pika  # type: ignore[import-untyped]

        connection = pika.BlockingConnection(pika.URLParameters(self._options.amqp_url))
        try:
            declared = connection.channel().queue_declare(self._options.exchange, passive=True)
            return int(declared.method.message_count)
        finally:
            connection.close()


def _connected(options: Options, with_outbox: bool = False) -> tuple[Any, Callable[[], None]]:
    """``connect(url)`` as a user would: for PostgreSQL the URL carries the run's schema
    as its ``search_path``; the store and what closes it."""
    if options.backend == "sqlite" or not options.schema:
        store = connect(options.url, with_outbox=with_outbox)
        return store, store.close
    from sqlalchemy.engine import make_url

    url = make_url(options.url).update_query_dict({"options": f"-csearch_path={options.schema}"})
    store = connect(url, with_outbox=with_outbox)
    return store, store.close


def open_store(options: Options) -> Ours:
    """The append/load adapter on a fresh connection."""
    return Ours(*_connected(options))


def open_rebuilder(options: Options) -> OursRebuilder:
    """The rebuild adapter, snapshotting when the workload is ``rebuild-snap``."""
    return OursRebuilder(*_connected(options), snapshots=options.snapshots)


def open_follower(options: Options) -> OursFollower:
    """The latency workload's subscriber, on a store of its own."""
    return OursFollower(*_connected(options), backend=options.backend)


def open_relay(options: Options) -> OursRelay:
    """The outbox workloads' store (outbox on) and relay, on a connection of its own."""
    return OursRelay(*_connected(options, with_outbox=True), options=options)


if __name__ == "__main__":
    _harness.main(open_store, open_rebuilder, open_follower=open_follower, open_relay=open_relay)
