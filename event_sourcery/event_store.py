"""EventStore: the API services and tools use to append, load and delete streams."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Self
from uuid import UUID

from event_sourcery.bulk import collector_paused
from event_sourcery.context import Context, Enricher
from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    InvalidRange,
    InvalidSnapshot,
    NoEventsToAppend,
    SnapshotSkipped,
    UndecodableEvent,
    UnknownEventType,
)
from event_sourcery.event import Event
from event_sourcery.idempotence import already_appended
from event_sourcery.outbox.entries import OutboxFilter, mark_for_outbox, outbox_filter
from event_sourcery.outbox.outbox import Outbox
from event_sourcery.records import (
    Envelope,
    RawEvent,
    Recorded,
    RecordedSnapshot,
)
from event_sourcery.registry import EventRegistry, default_registry
from event_sourcery.serde import decode_all, encode
from event_sourcery.storage.protocol import OnStored, Storage
from event_sourcery.storage.reading import Horizon
from event_sourcery.streams import StreamId
from event_sourcery.subscriptions.listeners import Listener, Listeners
from event_sourcery.subscriptions.subscription import Subscription
from event_sourcery.versioning import MAX_VERSION, ExpectedVersion, Versioning, is_whole
from event_sourcery.whole_store import WholeStoreReads


class EventStore(WholeStoreReads):
    """Appends and loads streams of events over one storage backend.

    Values from callers become typed objects here (``StreamId``, ``ExpectedVersion``,
    serialised events) before they reach storage. ``enrichers`` add fields to the context
    of every appended event; ``listeners`` are called inside every append;
    ``with_outbox`` (True, or an ``OutboxFilter``) gives appended events outbox entries.
    """

    def __init__(
        self,
        storage: Storage,
        registry: EventRegistry = default_registry,
        enrichers: Sequence[Enricher] = (),
        listeners: Listeners | None = None,
        with_outbox: bool | OutboxFilter = False,
    ) -> None:
        self.storage = storage
        self.registry = registry
        self.enrichers = tuple(enrichers)
        self.listeners = listeners if listeners is not None else Listeners()
        self.outbox_filter = outbox_filter(with_outbox)

    def append(
        self,
        *events: Event | Envelope[Event],
        stream_id: UUID | StreamId,
        expected_version: int | Versioning = 0,
        context: Context | None = None,
    ) -> None:
        """Append ``events`` atomically.

        ``expected_version=N``: the stream must be exactly at version N (0: must not exist);
        ``ANY``: at the end, whatever the version; ``NO_VERSIONING``: a versionless stream.
        Raises ``ConcurrentStreamWriteError`` when the stream is elsewhere. ``context`` goes
        with every bare event (envelopes carry their own).

        Idempotent for envelopes: retried with the same uuids (say, after a connection
        dropped before the commit was acknowledged), an append whose events are already
        stored as it would store them succeeds and writes nothing; a uuid stored with
        another payload or elsewhere raises ``DuplicateEventId``.
        """
        if not events:
            raise NoEventsToAppend
        stream = StreamId.to_append(stream_id)
        expected = ExpectedVersion.of(expected_version)
        new_events = encode(events, self.registry, context, self.enrichers)
        if len({new.uuid for new in new_events}) != len(new_events):
            raise DuplicateEventId(stream, "the same uuid appears twice in one batch")
        if self.outbox_filter is not None:
            mark_for_outbox(self.outbox_filter, events, new_events, stream.category)
        on_stored: OnStored | None = None
        if self.listeners:
            objects = [item if isinstance(item, Event) else item.event for item in events]

            def tell_listeners(stored: list[RawEvent]) -> None:
                self.listeners.notify(_as_recorded(stored, objects))

            on_stored = tell_listeners

        try:
            self.storage.append(stream, expected, new_events, on_stored)
        except (ConcurrentStreamWriteError, DuplicateEventId):
            if not already_appended(self.storage, stream, expected, new_events):
                raise

    def load_stream(
        self,
        stream_id: UUID | StreamId,
        start: int | None = None,
        stop: int | None = None,
        *,
        snapshots: bool = True,
    ) -> list[Recorded[Event]]:
        """The stream's events with ``start <= version < stop``, in order; ``[]`` if unknown.

        When a snapshot lies in that range, the latest one (a ``RecordedSnapshot``) comes
        first and stands in for the events up to its version. ``snapshots=False`` loads
        the events alone. A snapshot its class can no longer read is skipped with a
        ``SnapshotSkipped`` warning and the events are loaded instead. A versionless
        stream has no versions, so a ranged load of it is empty.
        """
        stream = StreamId.of(stream_id)
        first, last = _version(start, "start"), _version(stop, "stop")
        with collector_paused():
            if not snapshots:
                return decode_all(self.storage.load(stream, first, last), self.registry)
            raw_snapshot, raws = self.storage.load_from_snapshot(stream, first, last)
            if raw_snapshot is None:
                return decode_all(raws, self.registry)
            try:
                head = decode_all([raw_snapshot], self.registry, RecordedSnapshot)
            except (UndecodableEvent, UnknownEventType) as error:
                warnings.warn(SnapshotSkipped(f"snapshot skipped: {error}"), stacklevel=2)
                return decode_all(self.storage.load(stream, first, last), self.registry)
            return head + decode_all(raws, self.registry)

    def load_stream_raw(
        self, stream_id: UUID | StreamId, start: int | None = None, stop: int | None = None
    ) -> list[RawEvent]:
        """The stream's events like ``load_stream(snapshots=False)`` but undecoded: type name,
        schema version and JSON, for tools and stores whose classes are not importable."""
        with collector_paused():
            return self.storage.load(
                StreamId.of(stream_id), _version(start, "start"), _version(stop, "stop")
            )

    def save_snapshot(
        self, stream_id: UUID | StreamId, snapshot: Event | Envelope[Event], version: int
    ) -> None:
        """Keep ``snapshot`` as the stream's state after ``version``; earlier snapshots stay
        (see ``snapshots``). An ``Envelope`` around it chooses its uuid and time (imports,
        generated histories). Raises ``InvalidSnapshot`` if the stream has no such version."""
        stream = StreamId.of(stream_id)
        if not is_whole(version, 1):
            raise InvalidSnapshot(stream, version, "versions are whole numbers from 1")
        if version > MAX_VERSION:
            raise InvalidSnapshot(stream, version, f"versions stop at {MAX_VERSION}")
        state = snapshot.event if isinstance(snapshot, Envelope) else snapshot
        if not isinstance(state, Event):
            raise InvalidSnapshot(
                stream, version, f"{state!r} is not an Event; pass an Event subclass instance"
            )
        [new] = encode([snapshot], self.registry)
        self.storage.save_snapshot(stream, version, new)

    def snapshots(self, stream_id: UUID | StreamId | None = None) -> list[Recorded[Event]]:
        """The stream's snapshots, oldest version first (of two at one version, the earlier
        saved first), decoded (``RecordedSnapshot``); None: every stream's (see
        ``snapshots_raw``)."""
        with collector_paused():
            raws = self.snapshots_raw(stream_id)
            return decode_all(raws, self.registry, RecordedSnapshot)

    def snapshots_raw(self, stream_id: UUID | StreamId | None = None) -> list[RawEvent]:
        """The stream's snapshots undecoded, each with its version, time, type and JSON.
        None: every stream's, streams in ``streams()`` order, each with its full StreamId."""
        return self.storage.snapshots(None if stream_id is None else StreamId.of(stream_id))

    def decode(self, raws: Sequence[RawEvent], *, snapshots: bool = False) -> list[Recorded[Event]]:
        """Rows from the ``*_raw`` reads decoded through the registry (upcasters included),
        as the decoded reads would; ``snapshots`` makes them ``RecordedSnapshot``s. For
        tools that read raw rows first and decode only some."""
        with collector_paused():
            return decode_all(raws, self.registry, RecordedSnapshot if snapshots else Recorded)

    def listen(
        self,
        listener: Listener,
        *,
        types: Iterable[type[Event]] | None = None,
        categories: Iterable[str | None] | None = None,
    ) -> None:
        """Call ``listener`` during every append, for each event of ``types`` (subclasses
        included) in ``categories``, inside the append's transaction: if it raises, the
        append is undone and the exception propagates. Registering it again does nothing.
        On a ``get_event_store(session)`` store the listener's own writes through the same
        session join that transaction; on a ``connect()`` store it must not append."""
        self.listeners.add(listener, types=types, categories=categories)

    def subscribe(
        self,
        after: int = 0,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        timeout: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> Subscription:
        """Batches of events after ``after``: the stored ones, then new ones as they
        commit (PostgreSQL wakes on LISTEN/NOTIFY; other backends look every
        ``poll_interval`` seconds). Ends on ``stop()``, ``stop_event`` or ``timeout``
        seconds without anything new. See ``Subscription``."""
        return Subscription(
            self,
            after,
            types=types,
            categories=categories,
            batch_size=batch_size,
            poll_interval=poll_interval,
            timeout=timeout,
            stop_event=stop_event,
        )

    @cached_property
    def outbox(self) -> Outbox:
        """The store's outbox with the default settings: its relay and audit trail (build
        an ``Outbox(store, ...)`` for others)."""
        return Outbox(self)

    @property
    def position(self) -> int:
        """The position up to which every event is committed and readable."""
        return self.storage.horizon().position

    def horizon(self) -> Horizon:
        """How far readers of the whole store may go, and which writers hold them back
        since when (``Horizon``)."""
        return self.storage.horizon()

    def close(self) -> None:
        """Release the connections ``connect()`` opened; a store bound to a session or an
        engine you passed in leaves them to you."""
        self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def delete_stream(self, stream_id: UUID | StreamId) -> None:
        """Remove the stream, its events and its snapshots; a missing stream does nothing."""
        self.storage.delete(StreamId.of(stream_id))


def _as_recorded(stored: list[RawEvent], events: list[Event]) -> list[Recorded[Event]]:
    """The events just appended as their records, without decoding their payloads."""
    return [
        Recorded(
            event=event,
            uuid=raw.uuid,
            created_at=raw.created_at,
            context=raw.context_model(),
            stream_id=raw.stream_id,
            version=raw.version,
            position=raw.position,
        )
        for raw, event in zip(stored, events, strict=True)
    ]


def _version(value: int | None, label: str) -> int | None:
    """A range bound as storage takes it: an int clamped to what versions can be."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRange(label, value)
    return min(max(value, 0), MAX_VERSION)
