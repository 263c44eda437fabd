"""The storage protocol every backend implements, and the rows that cross it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from event_sourcery.records import RawEvent, StreamInfo
from event_sourcery.storage.checkpoints import CheckpointUnit
from event_sourcery.storage.outbox import OutboxStorage
from event_sourcery.storage.reading import Horizon, ReadFilter, Waiter
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


@dataclass(slots=True)
class NewEvent:
    """An event serialised for storage; the backend gives it a version and a position."""

    uuid: UUID
    type: str
    schema_version: int
    data_json: str
    context_json: str
    created_at: datetime
    outbox: bool = False
    """Give the event an outbox entry, written in the append's transaction."""


OnStored = Callable[[list[RawEvent]], None]
"""Called inside an append with its events as stored, before they are committed."""


class Storage(Protocol):
    """Stream storage: atomic appends under an expected version, ordered loads, deletes,
    and snapshots kept as a history beside the events."""

    def append(
        self,
        stream_id: StreamId,
        expected: ExpectedVersion,
        events: Sequence[NewEvent],
        on_stored: OnStored | None = None,
    ) -> None:
        """Store ``events`` at the end of the stream, all or nothing.

        Raises ConcurrentStreamWriteError, VersioningMismatch, StreamNameConflict or
        DuplicateEventId and then stores nothing. ``on_stored`` is called with the events
        as stored (versions, positions) before the append is final; if it raises, the
        append is undone and the exception propagates.
        """
        ...

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        """The stream's events with ``start <= version < stop`` in stream order."""
        ...

    def delete(self, stream_id: StreamId) -> None:
        """Remove the stream, its events and its snapshots; a missing stream is a no-op."""
        ...

    def save_snapshot(self, stream_id: StreamId, version: int, snapshot: NewEvent) -> None:
        """Keep ``snapshot`` as the stream's state after ``version`` (earlier snapshots stay).

        Raises InvalidSnapshot when the stream has no event at ``version``.
        """
        ...

    def snapshots(self, stream_id: StreamId | None) -> list[RawEvent]:
        """Every snapshot of the stream by version, then saving order; ``position`` is that
        of the stream's event at the snapshot's version. None: the snapshots of every
        stream, the streams in the order ``streams`` lists them, in one read."""
        ...

    def streams(self, categories: tuple[str, ...] | None, limit: int | None) -> list[StreamInfo]:
        """Every stream holding events, by its first event's position (creation order), at
        most ``limit``, in ``categories`` ("" is the streams without one; None: all), with
        its counts and times, in one read."""
        ...

    def load_from_snapshot(
        self, stream_id: StreamId, start: int | None, stop: int | None
    ) -> tuple[RawEvent | None, list[RawEvent]]:
        """The snapshot with the highest version in ``start <= version < stop`` (of two at
        one version, the later saved) and the events after it up to ``stop``; with no such
        snapshot, None and what ``load`` returns. Both come from one read."""
        ...

    def read_all(
        self, after: int, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        """Events of every stream with ``position > after`` that ``read`` lets through, in
        position order, at most ``limit``, and the safe position the read went up to:
        never past it, so that no event that commits later can have a position below
        one returned."""
        ...

    def read_all_backwards(
        self, before: int | None, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        """Events of every stream with ``position < before`` (None: from the safe position
        down) that ``read`` lets through, newest first, at most ``limit``, and the safe
        position: none past it is returned, so a later read from it skips nothing."""
        ...

    def event(self, uuid: UUID) -> RawEvent | None:
        """The stored event with this uuid (with its stream's full id), else None."""
        ...

    def event_types(self) -> list[str]:
        """The type names of the stored events, each once, in any order (an index walk,
        not a read of the events)."""
        ...

    def horizon(self) -> Horizon:
        """How far readers of the whole store may safely go, and what holds them back."""
        ...

    def checkpointed(self, name: str) -> AbstractContextManager[CheckpointUnit]:
        """A unit of work for projection ``name``: its checkpoint (0 at first) and, on the
        SQL backends, a Session whose writes commit together with the new checkpoint
        when the block ends; an exception rolls both back. Runs of one projection take
        turns (the checkpoint row is locked)."""
        ...

    def checkpoint(self, name: str) -> int:
        """Projection ``name``'s last processed position (0 if it never ran)."""
        ...

    def waiter(self, poll_interval: float) -> Waiter:
        """Something a subscriber can sleep on until new events may have committed; at
        worst, it wakes every ``poll_interval`` seconds to look."""
        ...

    def outbox(self) -> OutboxStorage:
        """The outbox of this storage: the entries appends marked ``outbox`` created."""
        ...

    def close(self) -> None:
        """Release what the backend opened itself (connection pools); idempotent."""
        ...
