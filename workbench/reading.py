"""Reading the events a frame is built from: a query, read in chunks, with a progress bar
on long loads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from tqdm.auto import tqdm

from event_sourcery import EventStore, RawEvent, StreamId

CHUNK = 20_000
"""Events read per query when loading a frame."""
PROGRESS_FROM = 200_000
"""Loads spanning more positions than this show a progress bar (``progress=None``)."""


@dataclass(frozen=True)
class EventFilter:
    """Which events the pages hold: stored type names, categories (None: streams without
    one), one stream, and ``since <= created_at < until``; None lets everything through."""

    types: Sequence[str] | None = None
    categories: Sequence[str | None] | None = None
    stream: StreamId | None = None
    since: datetime | None = None
    until: datetime | None = None

    def keeps(self, raw: RawEvent) -> bool:
        """Whether ``raw`` passes (stream reads filter here; store reads in the store)."""
        return (
            (self.types is None or raw.type in self.types)
            and (self.categories is None or raw.stream_id.category in self.categories)
            and (self.since is None or raw.created_at >= self.since)
            and (self.until is None or raw.created_at < self.until)
        )


EVERY_EVENT = EventFilter()
"""The filter that keeps every event."""


@dataclass(frozen=True)
class EventQuery:
    """Which events to read: ``stream`` (one stream's, else the whole store's), stored type
    names, categories (None: streams without one), ``since <= created_at < until``,
    positions after ``after``, at most ``limit``."""

    stream: StreamId | None = None
    categories: Sequence[str | None] | None = None
    types: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int = 0
    limit: int | None = None

    def keeps(self, raw: RawEvent) -> bool:
        """Whether a stream's event passes the filters (the store applies them to reads of
        the whole store itself)."""
        where = EventFilter(self.types, self.categories, self.stream, self.since, self.until)
        return raw.position > self.after and where.keeps(raw)


def raw_chunks(
    store: EventStore, query: EventQuery, progress: bool | None = None
) -> Iterator[list[RawEvent]]:
    """The events ``query`` asks for in position order, a chunk at a time; ``progress``
    None shows a bar only when the read spans more than ``PROGRESS_FROM`` positions."""
    if query.stream is not None:
        kept = [raw for raw in store.load_stream_raw(query.stream) if query.keeps(raw)]
        yield kept if query.limit is None else kept[: query.limit]
        return
    after, left = query.after, query.limit
    end = store.position
    show = progress if progress is not None else end - after > PROGRESS_FROM
    with tqdm(total=max(end - after, 0), disable=not show, unit="pos", desc="events") as bar:
        while left is None or left > 0:
            size = CHUNK if left is None else min(CHUNK, left)
            page = store.read_all_raw(
                after,
                size,
                types=query.types,
                categories=query.categories,
                since=query.since,
                until=query.until,
            )
            if not page:
                break
            yield page
            bar.update(page[-1].position - after)
            after = page[-1].position
            if left is not None:
                left -= len(page)
            if len(page) < size:
                break
