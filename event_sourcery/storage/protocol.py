"""The storage protocol every backend implements, and the rows that cross it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from event_sourcery.records import RawEvent
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


@dataclass(slots=True)
class NewEvent:
    """An event serialised for storage; the backend gives it a version and a position."""

    uuid: UUID
    type: str
    data_json: str
    context_json: str
    created_at: datetime


class Storage(Protocol):
    """Stream storage: atomic appends under an expected version, ordered loads, deletes."""

    def append(
        self, stream_id: StreamId, expected: ExpectedVersion, events: Sequence[NewEvent]
    ) -> None:
        """Store ``events`` at the end of the stream, all or nothing.

        Raises ConcurrentStreamWriteError, VersioningMismatch, StreamNameConflict or
        DuplicateEventId and then stores nothing.
        """
        ...

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        """The stream's events with ``start <= version < stop`` in stream order."""
        ...

    def delete(self, stream_id: StreamId) -> None:
        """Remove the stream and its events; a missing stream is a no-op."""
        ...

    def close(self) -> None:
        """Release what the backend opened itself (connection pools); idempotent."""
        ...
