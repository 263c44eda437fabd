"""A storage wrapper that counts the event rows each load reads: proves what a load skips."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from uuid import UUID

from event_sourcery.records import RawEvent, StreamInfo
from event_sourcery.storage.checkpoints import CheckpointUnit
from event_sourcery.storage.outbox import OutboxStorage
from event_sourcery.storage.protocol import NewEvent, OnStored, Storage
from event_sourcery.storage.reading import Horizon, ReadFilter, Waiter
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


class CountingStorage:
    """Passes every call to ``inner``; ``rows_read`` adds up the event rows reads returned."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.rows_read = 0

    def append(
        self,
        stream_id: StreamId,
        expected: ExpectedVersion,
        events: Sequence[NewEvent],
        on_stored: OnStored | None = None,
    ) -> None:
        self.inner.append(stream_id, expected, events, on_stored)

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        rows = self.inner.load(stream_id, start, stop)
        self.rows_read += len(rows)
        return rows

    def load_from_snapshot(
        self, stream_id: StreamId, start: int | None, stop: int | None
    ) -> tuple[RawEvent | None, list[RawEvent]]:
        snapshot, rows = self.inner.load_from_snapshot(stream_id, start, stop)
        self.rows_read += len(rows)
        return snapshot, rows

    def delete(self, stream_id: StreamId) -> None:
        self.inner.delete(stream_id)

    def save_snapshot(self, stream_id: StreamId, version: int, snapshot: NewEvent) -> None:
        self.inner.save_snapshot(stream_id, version, snapshot)

    def snapshots(self, stream_id: StreamId | None) -> list[RawEvent]:
        return self.inner.snapshots(stream_id)

    def streams(self, categories: tuple[str, ...] | None, limit: int | None) -> list[StreamInfo]:
        return self.inner.streams(categories, limit)

    def read_all(
        self, after: int, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        rows, horizon = self.inner.read_all(after, limit, read)
        self.rows_read += len(rows)
        return rows, horizon

    def read_all_backwards(
        self, before: int | None, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        rows, horizon = self.inner.read_all_backwards(before, limit, read)
        self.rows_read += len(rows)
        return rows, horizon

    def event(self, uuid: UUID) -> RawEvent | None:
        found = self.inner.event(uuid)
        self.rows_read += found is not None
        return found

    def event_types(self) -> list[str]:
        return self.inner.event_types()

    def outbox(self) -> OutboxStorage:
        return self.inner.outbox()

    def horizon(self) -> Horizon:
        return self.inner.horizon()

    def checkpointed(self, name: str) -> AbstractContextManager[CheckpointUnit]:
        return self.inner.checkpointed(name)

    def checkpoint(self, name: str) -> int:
        return self.inner.checkpoint(name)

    def waiter(self, poll_interval: float) -> Waiter:
        return self.inner.waiter(poll_interval)

    def close(self) -> None:
        self.inner.close()
