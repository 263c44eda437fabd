"""Repository: load an aggregate from its stream, let it act, append what it emitted."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from event_sourcery.context import Context
from event_sourcery.errors import (
    AggregateInUse,
    InvalidRange,
    InvalidStreamId,
    SnapshotSkipped,
    SnapshotsUnsupported,
    StateNotFound,
    VersioningMismatch,
)
from event_sourcery.event_sourcing.aggregate import Aggregate, AggregateStream
from event_sourcery.event_sourcing.snapshot_policy import EveryNEvents, SnapshotPolicy
from event_sourcery.event_store import EventStore
from event_sourcery.records import RecordedSnapshot
from event_sourcery.streams import StreamId
from event_sourcery.versioning import is_whole

A = TypeVar("A", bound=Aggregate)


class Repository(Generic[A]):
    """Loads aggregates from an event store and saves what they emit.

    ``snapshot_every=N`` (or a ``SnapshotPolicy``) snapshots an aggregate whenever a save
    crosses a multiple of N; loads start from the latest snapshot (when its class can no
    longer read it, from the first event). Streams must be versioned.
    """

    def __init__(
        self, event_store: EventStore, snapshot_every: int | SnapshotPolicy | None = None
    ) -> None:
        self.event_store = event_store
        self.snapshot_policy: SnapshotPolicy | None = (
            EveryNEvents(snapshot_every) if isinstance(snapshot_every, int) else snapshot_every
        )

    @contextmanager
    def aggregate(
        self, stream_id: UUID | StreamId, aggregate: A, context: Context | None = None
    ) -> Iterator[A]:
        """Load the stream into ``aggregate`` and yield it; on a clean exit append the
        events it emitted, expecting the version it was loaded at, with ``context``.

        Nothing emitted, nothing written; an exception in the block writes nothing.
        Raises ``ConcurrentStreamWriteError`` when someone else wrote the stream meanwhile.
        """
        if self.snapshot_policy is not None and not type(aggregate).can_snapshot():
            raise SnapshotsUnsupported(type(aggregate))
        if "__stream__" in aggregate.__dict__ or aggregate.__pending__():
            raise AggregateInUse(type(aggregate))
        stream = stream_of(stream_id, type(aggregate))
        loaded = self._rebuild(stream, aggregate, stop=None)
        tracked = AggregateStream(aggregate, stream, loaded)
        aggregate.__stream__ = tracked
        yield aggregate
        self._save(aggregate, tracked, context)

    def load(
        self,
        stream_id: UUID | StreamId,
        aggregate: type[A] | Callable[[], A],
        *,
        version: int | None = None,
        at: datetime | None = None,
    ) -> A:
        """A new aggregate as it was after ``version`` or at the moment ``at`` (or now),
        read-only. ``at`` applies the stream's events up to the first one recorded after
        it. Raises ``StateNotFound`` for a version past the end or a moment before the
        first event."""
        instance = aggregate()
        stream = stream_of(stream_id, type(instance))
        if version is not None and at is not None:
            raise InvalidRange("at", at, "given with version: ask for one or the other")
        if at is not None:
            stop, as_of = self._stop_at(stream, at), f"as of {at.isoformat()}"
        elif version is not None:
            if not is_whole(version, 1):
                raise InvalidRange("version", version, "not a version: use an int >= 1")
            stop, as_of = version + 1, f"as of version {version}"
        else:
            stop, as_of = None, "as it was when loaded"
        loaded = self._rebuild(stream, instance, stop)
        if version is not None and loaded < version:
            # A ranged load of a versionless stream is empty: say why instead.
            head = self.event_store.load_stream_raw(stream)[:1]
            if head and head[0].version is None:
                raise VersioningMismatch(stream, stream_is_versioned=False)
            reason = f"it is at version {loaded}" if loaded else "it has no events"
            raise StateNotFound(stream, f"version {version}", reason)
        instance.__stream__ = AggregateStream(instance, stream, loaded, read_only=as_of)
        return instance

    def _rebuild(self, stream: StreamId, aggregate: Aggregate, stop: int | None) -> int:
        """Apply the stream (from its latest usable snapshot) to ``aggregate``; its version."""
        version = 0
        for record in self.event_store.load_stream(
            stream, stop=stop, snapshots=type(aggregate).can_snapshot()
        ):
            if record.version is None:
                raise VersioningMismatch(stream, stream_is_versioned=False)
            if isinstance(record, RecordedSnapshot):
                aggregate.__restore__(record.event)
            else:
                aggregate.__apply__(record.event)
            version = record.version
        return version

    def _stop_at(self, stream: StreamId, at: datetime) -> int:
        """The version after the last event recorded at or before ``at``, plus one."""
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise InvalidRange("at", at, "not an aware datetime: give it a timezone")
        raws = self.event_store.load_stream_raw(stream)
        if raws and raws[0].version is None:
            raise VersioningMismatch(stream, stream_is_versioned=False)
        count = 0
        for raw in raws:
            if raw.created_at > at:
                break
            count += 1
        if count == 0:
            reason = (
                f"its first event was recorded at {raws[0].created_at.isoformat()}"
                if raws
                else "it has no events"
            )
            raise StateNotFound(stream, at.isoformat(), reason)
        return count + 1  # versions run from 1 without gaps

    def _save(self, aggregate: A, tracked: AggregateStream, context: Context | None) -> None:
        with aggregate.__persisting_changes__() as pending:
            events = list(pending)
            if not events:
                return
            before = tracked.saved_version or tracked.loaded_version
            self.event_store.append(
                *events, stream_id=tracked.stream_id, expected_version=before, context=context
            )
        after = before + len(events)
        tracked.saved_version = after
        policy = self.snapshot_policy
        if policy is not None and policy.should_snapshot(before, after):
            self._snapshot(aggregate, tracked.stream_id, after)

    def _snapshot(self, aggregate: A, stream: StreamId, version: int) -> None:
        """A snapshot only saves replaying: failing to take one (the store refused it, or
        ``__snapshot__`` raised) must not fail a save whose events are stored."""
        try:
            self.event_store.save_snapshot(stream, aggregate.__snapshot__(), version)
        except Exception as error:
            # Levels: here, _save, aggregate(), contextlib's __exit__, the with statement.
            warnings.warn(
                SnapshotSkipped(
                    f"no snapshot of stream {stream} taken at version {version}: "
                    f"{type(error).__name__}: {error}"
                ),
                stacklevel=5,
            )


def stream_of(stream_id: UUID | StreamId, aggregate: type[Aggregate]) -> StreamId:
    """The stream of an aggregate: ``stream_id`` in the aggregate class's category."""
    stream = StreamId.of(stream_id)
    category = aggregate.category
    if category is None or stream.category == category:
        return stream
    if stream.category is not None:
        raise InvalidStreamId(
            f"stream {stream} is in category {stream.category!r}, but "
            f"{aggregate.__qualname__} streams are in {category!r}"
        )
    return StreamId(stream.uuid, name=stream.name, category=category)
