"""Finding streams by what people call them (uuid, name, StreamId) and listing them."""

from __future__ import annotations

from uuid import UUID

import pandas as pd

from event_sourcery import EventStore, StreamId, StreamInfo
from workbench.errors import InvalidFilter
from workbench.frames import text_column, utc_times

STREAM_COLUMNS = (
    "stream_id",
    "stream_name",
    "category",
    "version",
    "events",
    "first_at",
    "last_at",
    "snapshots",
)


class StreamFinder:
    """Turns a stream reference into the store's StreamId, category included."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def find(self, ref: UUID | StreamId | str) -> StreamId:
        """The stream ``ref`` names: a StreamId as given; a uuid (or its text) or a name
        looked up among the stored streams. InvalidFilter when none or several match."""
        if isinstance(ref, StreamId):
            return ref
        if isinstance(ref, str):
            try:
                ref = UUID(ref)
            except ValueError:
                return self._one(
                    [s.stream_id for s in self.store.streams() if s.stream_id.name == ref],
                    f"named {ref!r}",
                )
        if not isinstance(ref, UUID):
            raise InvalidFilter(f"stream={ref!r}: give a uuid, a stream name or a StreamId")
        matches = [s.stream_id for s in self.store.streams() if s.stream_id.uuid == ref]
        return matches[0] if len(matches) == 1 else self._one(matches, f"with uuid {ref}")

    def frame(self) -> pd.DataFrame:
        """One row per stream (see ``STREAM_COLUMNS``), in the order the store lists them."""
        return streams_frame(self.store.streams())

    def search(self, text: str, limit: int) -> pd.DataFrame:
        """Streams whose name or uuid contains ``text`` (any case), at most ``limit``, in
        creation order; one read of the stream list, no events."""
        needle = text.strip().lower()
        found = [
            info
            for info in self.store.streams()
            if needle in (info.stream_id.name or "").lower() or needle in str(info.stream_id.uuid)
        ]
        return streams_frame(found[:limit])

    @staticmethod
    def _one(matches: list[StreamId], what: str) -> StreamId:
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise InvalidFilter(f"no stream {what}")
        categories = ", ".join(repr(m.category) for m in matches)
        raise InvalidFilter(
            f"{len(matches)} streams {what} (categories {categories}): pass a StreamId with "
            "its category"
        )


def streams_frame(infos: list[StreamInfo]) -> pd.DataFrame:
    """Stream summaries as a frame."""
    frame = pd.DataFrame(
        {
            "stream_id": text_column([str(i.stream_id.uuid) for i in infos]),
            "stream_name": text_column([i.stream_id.name for i in infos]),
            "category": text_column([i.stream_id.category for i in infos]),
            "version": pd.Series([i.version for i in infos], dtype="Int64"),
            "events": pd.Series([i.events for i in infos], dtype="int64"),
            "first_at": utc_times([i.first_at for i in infos]),
            "last_at": utc_times([i.last_at for i in infos]),
            "snapshots": pd.Series([i.snapshots for i in infos], dtype="int64"),
        },
        columns=list(STREAM_COLUMNS),
    )
    return frame
