"""The in-memory backend's streams: each one's events and snapshots, and listings of all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from event_sourcery.records import RawEvent, StreamInfo
from event_sourcery.streams import StreamId


@dataclass
class MemoryStream:
    """One stream as the in-memory backend keeps it: events in version order, snapshots
    by version then saving order."""

    stream_id: StreamId
    versioned: bool
    events: list[RawEvent] = field(default_factory=list)
    snapshots: list[RawEvent] = field(default_factory=list)

    def info(self) -> StreamInfo:
        """What ``streams`` tells about this stream."""
        return StreamInfo(
            stream_id=self.stream_id,
            version=len(self.events) if self.versioned else None,
            events=len(self.events),
            first_at=self.events[0].created_at if self.events else None,
            last_at=self.events[-1].created_at if self.events else None,
            snapshots=len(self.snapshots),
        )


def listed(
    streams: Iterable[MemoryStream], categories: tuple[str, ...] | None, limit: int | None
) -> list[StreamInfo]:
    """The streams holding events in ``categories`` ("" for none), in creation order, at
    most ``limit``: as the SQL backend lists them."""
    chosen = [
        stream
        for stream in in_creation_order(streams)
        if categories is None or (stream.stream_id.category or "") in categories
    ]
    return [stream.info() for stream in chosen[:limit]]


def every_snapshot(streams: Iterable[MemoryStream]) -> list[RawEvent]:
    """The snapshots of every stream: streams in creation order, then each one's own order."""
    return [snapshot for stream in in_creation_order(streams) for snapshot in stream.snapshots]


def in_creation_order(streams: Iterable[MemoryStream]) -> list[MemoryStream]:
    """The streams holding events, by their first event's position."""
    return sorted((s for s in streams if s.events), key=_first_position)


def _first_position(stream: MemoryStream) -> int:
    return stream.events[0].position
