"""The in-memory backend: a product feature for notebooks, demos and fast tests."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

from event_sourcery.context import NO_CONTEXT_JSON
from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    InvalidSnapshot,
    StreamNameConflict,
    VersioningMismatch,
)
from event_sourcery.records import RawEvent, StreamInfo, utc_now
from event_sourcery.storage.checkpoints import CheckpointUnit
from event_sourcery.storage.memory_outbox import InMemoryOutbox
from event_sourcery.storage.memory_streams import MemoryStream, every_snapshot, listed
from event_sourcery.storage.protocol import NewEvent, OnStored
from event_sourcery.storage.reading import Horizon, ReadFilter, Waiter
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


class InMemoryStorage:
    """Streams in a dict under one lock; same contract as the SQL backends."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # listeners called inside an append may read
        self._streams: dict[StreamId, MemoryStream] = {}
        self._names: dict[tuple[str, str | None], StreamId] = {}
        self._uuids: dict[object, RawEvent] = {}  # every stored event by its uuid
        self._position = 0
        self._log: list[RawEvent] = []  # every stored event, in position order
        self._appended = threading.Condition(self._lock)
        self._checkpoints: dict[str, int] = {}
        self._projecting: dict[str, threading.Lock] = {}
        self._outbox = InMemoryOutbox(self._lock, self._event_at)

    def append(
        self,
        stream_id: StreamId,
        expected: ExpectedVersion,
        events: Sequence[NewEvent],
        on_stored: OnStored | None = None,
    ) -> None:
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                self._check_name_is_free(stream_id)
            current = len(stream.events) if stream is not None else 0
            if stream is not None and stream.versioned != expected.versioned:
                raise VersioningMismatch(stream.stream_id, stream.versioned)
            if expected.exact is not None and expected.exact != current:
                raise ConcurrentStreamWriteError(stream_id, expected.exact, current)
            self._check_uuids_are_new(stream_id, events)
            stored_id = stream.stream_id if stream is not None else stream_id
            first_position = self._position + 1
            self._position += len(events)  # taken even if on_stored refuses: a gap, as in SQL
            raws = [
                RawEvent(
                    uuid=new.uuid,
                    stream_id=stored_id,
                    version=current + offset if expected.versioned else None,
                    position=first_position + offset - 1,
                    type=new.type,
                    schema_version=new.schema_version,
                    data_json=new.data_json,
                    context_json=new.context_json,
                    created_at=new.created_at,
                )
                for offset, new in enumerate(events, start=1)
            ]
            if on_stored is not None:
                on_stored(raws)
                now = self._streams.get(stream_id)
                actual = len(now.events) if now is not None else 0
                if actual != current:  # a listener changed this very stream meanwhile
                    raise ConcurrentStreamWriteError(stream_id, current, actual)
            if stream is None:
                stream = self._create(stream_id, expected.versioned)
            stream.events.extend(raws)
            self._uuids.update((raw.uuid, raw) for raw in raws)
            for raw in raws:
                bisect.insort(self._log, raw, key=_position_of)
            if any(new.outbox for new in events):
                marked = [raw for raw, new in zip(raws, events, strict=True) if new.outbox]
                self._outbox.add(marked, utc_now())
            self._appended.notify_all()

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        with self._lock:
            stream = self._streams.get(stream_id)
            events = [] if stream is None else list(stream.events)
        return _in_range(events, start, stop)

    def delete(self, stream_id: StreamId) -> None:
        with self._lock:
            stream = self._streams.pop(stream_id, None)
            if stream is None:
                return
            if stream.stream_id.name is not None:
                del self._names[(stream.stream_id.name, stream.stream_id.category)]
            for event in stream.events:
                del self._uuids[event.uuid]
            gone = {e.position for e in stream.events}
            self._log = [e for e in self._log if e.position not in gone]

    def save_snapshot(self, stream_id: StreamId, version: int, snapshot: NewEvent) -> None:
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None or not stream.versioned or not 1 <= version <= len(stream.events):
                current = len(stream.events) if stream is not None and stream.versioned else None
                raise InvalidSnapshot.unreached(stream_id, version, stream is not None, current)
            stream.snapshots.append(
                RawEvent(
                    uuid=snapshot.uuid,
                    stream_id=stream.stream_id,
                    version=version,
                    position=stream.events[version - 1].position,
                    type=snapshot.type,
                    schema_version=snapshot.schema_version,
                    data_json=snapshot.data_json,
                    context_json=NO_CONTEXT_JSON,
                    created_at=snapshot.created_at,
                )
            )
            # Stable: of two snapshots at one version, the later saved stays later.
            stream.snapshots.sort(key=_version_of)

    def snapshots(self, stream_id: StreamId | None) -> list[RawEvent]:
        with self._lock:
            if stream_id is None:
                return every_snapshot(self._streams.values())
            stream = self._streams.get(stream_id)
            return [] if stream is None else list(stream.snapshots)

    def streams(self, categories: tuple[str, ...] | None, limit: int | None) -> list[StreamInfo]:
        with self._lock:
            return listed(self._streams.values(), categories, limit)

    def load_from_snapshot(
        self, stream_id: StreamId, start: int | None, stop: int | None
    ) -> tuple[RawEvent | None, list[RawEvent]]:
        with self._lock:  # one read, as the SQL backend's one statement
            stream = self._streams.get(stream_id)
            if stream is None:
                return None, []
            events, snapshots = list(stream.events), list(stream.snapshots)
        covering = _in_range(snapshots, start, stop)
        if not covering:
            return None, _in_range(events, start, stop)
        latest = covering[-1]
        return latest, _in_range(events, _version_of(latest) + 1, stop)

    def read_all(
        self, after: int, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        with self._lock:  # appends hold the lock, so the log is always whole
            horizon = self._position
            start = bisect.bisect_right(self._log, after, key=_position_of)
            tail = self._log[start:] if limit != 0 else []
        selected: list[RawEvent] = []
        for event in tail:
            if _passes(event, read):
                selected.append(event)
                if limit is not None and len(selected) >= limit:
                    break
        return selected, horizon

    def read_all_backwards(
        self, before: int | None, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        with self._lock:
            horizon = self._position
            end = (
                len(self._log)
                if before is None
                else bisect.bisect_left(self._log, before, key=_position_of)
            )
            head = self._log[:end] if limit != 0 else []
        selected: list[RawEvent] = []
        for event in reversed(head):
            if _passes(event, read):
                selected.append(event)
                if limit is not None and len(selected) >= limit:
                    break
        return selected, horizon

    def event(self, uuid: UUID) -> RawEvent | None:
        with self._lock:
            return self._uuids.get(uuid)

    def event_types(self) -> list[str]:
        with self._lock:
            return list({event.type for event in self._log})

    def horizon(self) -> Horizon:
        with self._lock:
            return Horizon(self._position, self._position)

    @contextmanager
    def checkpointed(self, name: str) -> Iterator[CheckpointUnit]:
        with self._lock:
            turn = self._projecting.setdefault(name, threading.Lock())
        with turn:
            unit = CheckpointUnit(name, self.checkpoint(name))
            yield unit
            with self._lock:
                self._checkpoints[name] = unit.position

    def checkpoint(self, name: str) -> int:
        with self._lock:
            return self._checkpoints.get(name, 0)

    def waiter(self, poll_interval: float) -> Waiter:
        return _AppendWaiter(self)

    def outbox(self) -> InMemoryOutbox:
        return self._outbox

    def close(self) -> None:
        """Nothing to release: the streams stay readable."""

    def _event_at(self, position: int) -> RawEvent | None:
        with self._lock:
            index = bisect.bisect_left(self._log, position, key=_position_of)
            if index < len(self._log) and self._log[index].position == position:
                return self._log[index]
            return None

    def _check_name_is_free(self, stream_id: StreamId) -> None:
        if stream_id.name is None:
            return
        bound = self._names.get((stream_id.name, stream_id.category))
        if bound is not None and bound != stream_id:
            raise StreamNameConflict(stream_id, bound)

    def _check_uuids_are_new(self, stream_id: StreamId, events: Sequence[NewEvent]) -> None:
        seen: set[object] = set()
        for new in events:
            if new.uuid in self._uuids or new.uuid in seen:
                raise DuplicateEventId(stream_id, f"uuid {new.uuid}")
            seen.add(new.uuid)

    def _create(self, stream_id: StreamId, versioned: bool) -> MemoryStream:
        stream = MemoryStream(stream_id, versioned)
        self._streams[stream_id] = stream
        if stream_id.name is not None:
            self._names[(stream_id.name, stream_id.category)] = stream_id
        return stream


class _AppendWaiter:
    """Wakes on the next append after the one it last saw (none is missed in between)."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        with storage._lock:
            self._seen = storage._position

    def wait(self, seconds: float) -> bool:
        storage = self._storage
        with storage._appended:
            if storage._position == self._seen:
                storage._appended.wait(max(seconds, 0.0))
            woken = storage._position != self._seen
            self._seen = storage._position
        return woken

    def close(self) -> None:
        """Nothing to release."""


def _position_of(event: RawEvent) -> int:
    return event.position


def _passes(event: RawEvent, read: ReadFilter) -> bool:
    return (
        (read.types is None or event.type in read.types)
        and (read.categories is None or (event.stream_id.category or "") in read.categories)
        and (read.since is None or event.created_at >= read.since)
        and (read.until is None or event.created_at < read.until)
    )


def _version_of(snapshot: RawEvent) -> int:
    return snapshot.version or 0


def _in_range(rows: list[RawEvent], start: int | None, stop: int | None) -> list[RawEvent]:
    """Rows with ``start <= version < stop``; every row when both are None (versionless
    streams included), none without a version otherwise."""
    if start is None and stop is None:
        return rows
    return [
        row
        for row in rows
        if row.version is not None
        and (start is None or row.version >= start)
        and (stop is None or row.version < stop)
    ]
