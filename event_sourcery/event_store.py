"""EventStore: the API services and tools use to append, load and delete streams."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from event_sourcery.bulk import collector_paused
from event_sourcery.errors import DuplicateEventId, InvalidRange, NoEventsToAppend
from event_sourcery.event import Event
from event_sourcery.records import Envelope, RawEvent, Recorded
from event_sourcery.registry import EventRegistry, default_registry
from event_sourcery.serde import decode_all, encode
from event_sourcery.storage.protocol import Storage
from event_sourcery.streams import StreamId
from event_sourcery.versioning import MAX_VERSION, ExpectedVersion, Versioning


class EventStore:
    """Appends and loads streams of events over one storage backend.

    Values from callers become typed objects here (``StreamId``, ``ExpectedVersion``,
    serialised events) before they reach storage.
    """

    def __init__(self, storage: Storage, registry: EventRegistry = default_registry) -> None:
        self.storage = storage
        self.registry = registry

    def append(
        self,
        *events: Event | Envelope[Event],
        stream_id: UUID | StreamId,
        expected_version: int | Versioning = 0,
    ) -> None:
        """Append ``events`` atomically.

        ``expected_version=N``: the stream must be exactly at version N (0: must not exist);
        ``ANY``: at the end, whatever the version; ``NO_VERSIONING``: a versionless stream.
        Raises ``ConcurrentStreamWriteError`` when the stream is elsewhere.
        """
        if not events:
            raise NoEventsToAppend
        stream = StreamId.of(stream_id)
        expected = ExpectedVersion.of(expected_version)
        new_events = encode(events, self.registry)
        if len({new.uuid for new in new_events}) != len(new_events):
            raise DuplicateEventId(stream, "the same uuid appears twice in one batch")
        self.storage.append(stream, expected, new_events)

    def load_stream(
        self, stream_id: UUID | StreamId, start: int | None = None, stop: int | None = None
    ) -> list[Recorded[Event]]:
        """The stream's events with ``start <= version < stop``, in order; ``[]`` if unknown.

        A versionless stream has no versions, so a ranged load of it is empty.
        """
        with collector_paused():
            return decode_all(self.load_stream_raw(stream_id, start, stop), self.registry)

    def load_stream_raw(
        self, stream_id: UUID | StreamId, start: int | None = None, stop: int | None = None
    ) -> list[RawEvent]:
        """Like ``load_stream`` but undecoded: type name and JSON, for tools and foreign
        stores whose event classes are not importable."""
        with collector_paused():
            return self.storage.load(
                StreamId.of(stream_id), _version(start, "start"), _version(stop, "stop")
            )

    def close(self) -> None:
        """Release the connections ``connect()`` opened; a store bound to a session or an
        engine you passed in leaves them to you."""
        self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def delete_stream(self, stream_id: UUID | StreamId) -> None:
        """Remove the stream and its events; deleting a missing stream does nothing."""
        self.storage.delete(StreamId.of(stream_id))


def _version(value: int | None, label: str) -> int | None:
    """A range bound as storage takes it: an int clamped to what versions can be."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRange(label, value)
    return min(max(value, 0), MAX_VERSION)
