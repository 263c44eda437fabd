"""Pages of the store's events for a table: which rows form a page, read by position (or by
version within one stream) from either end, so that no page reads more than it shows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import pandas as pd

from event_sourcery import EventStore, RawEvent
from workbench.errors import InvalidFilter
from workbench.frames import events_frame, text_column
from workbench.reading import EVERY_EVENT, EventFilter

STREAM_WINDOW = 500
"""Versions a stream's page reads at a time while filters leave rows out."""


@dataclass(frozen=True)
class EventPage:
    """The rows shown, in display order; ``number`` counts from the first page (None when
    reached from the last); ``seen`` is the store's position before the read."""

    rows: list[RawEvent]
    newest_first: bool
    number: int | None
    at_start: bool
    at_end: bool
    seen: int = field(default=0)

    @property
    def newest(self) -> int:
        """The position live updates read after: the newest row shown, or ``seen``."""
        return max([self.seen, *(raw.position for raw in self.rows)])

    def frame(self) -> pd.DataFrame:
        """The rows' envelopes (``frames.ENVELOPE_COLUMNS``) and their payloads as stored
        JSON text in a ``data`` column."""
        frame = events_frame([self.rows], payload=False)
        frame["data"] = text_column([raw.data_json for raw in self.rows])
        return frame


class _Source(Protocol):
    def after(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        """The ``n`` events after ``edge`` (None: from the start), oldest first."""
        ...

    def before(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        """The ``n`` events before ``edge`` (None: from the end), newest first."""
        ...

    def since(self, position: int, newest: RawEvent | None, n: int) -> list[RawEvent]:
        """The first ``n`` events after ``position``; ``newest`` is the newest shown."""
        ...


class EventPager:
    """Reads page after page of ``size`` events newest or oldest first; pages are values,
    so a view keeps the one shown and asks for its neighbours."""

    def __init__(
        self,
        store: EventStore,
        where: EventFilter = EVERY_EVENT,
        *,
        size: int = 50,
        newest_first: bool = True,
    ) -> None:
        if size < 1:
            raise InvalidFilter(f"size={size!r}: a page holds at least one event")
        self.store = store
        self.size = size
        self.newest_first = newest_first
        self._source: _Source = (
            _StoreSource(store, where) if where.stream is None else _StreamSource(store, where)
        )

    def first(self) -> EventPage:
        """The page at the start of the display order (the newest events, newest first)."""
        seen = self.store.position
        rows = self._forward(None, self.size + 1)
        return self._page(rows, 1, at_start=True, seen=seen)

    def last(self) -> EventPage:
        """The page at the end of the display order: the last ``size`` events there."""
        seen = self.store.position
        rows = self._backward(None, self.size + 1)
        page = self._page(rows, None, at_start=False, seen=seen)
        return replace(page, rows=page.rows[::-1], at_start=page.at_end, at_end=True)

    def next(self, page: EventPage) -> EventPage:
        """The page after ``page`` in display order (``page`` itself when it is the last)."""
        if page.at_end or not page.rows:
            return page
        rows = self._forward(page.rows[-1], self.size + 1)
        if not rows:
            return replace(page, at_end=True)
        number = None if page.number is None else page.number + 1
        return self._page(rows, number, at_start=False, seen=page.seen)

    def previous(self, page: EventPage) -> EventPage:
        """The page before ``page`` in display order (the first page once near the start)."""
        if page.at_start or not page.rows:
            return self.first()
        rows = self._backward(page.rows[0], self.size + 1)
        if len(rows) <= self.size:
            return self.first()
        shown = rows[: self.size][::-1]
        number = None if page.number is None else max(page.number - 1, 1)
        return EventPage(shown, self.newest_first, number, False, False, page.seen)

    def live(self, page: EventPage) -> EventPage:
        """``page`` with the events stored since it was read at its newest end (the head
        when newest first, the tail otherwise), still ``size`` rows; ``page`` itself when
        nothing new passed the filters or the page is not at that end. Reads only after
        ``page.newest``."""
        at_newest_end = page.at_start if self.newest_first else page.at_end
        seen = self.store.position
        if not at_newest_end or seen <= page.newest:
            return page
        shown = max(page.rows, key=_position, default=None)
        new = self._source.since(page.newest, shown, self.size)
        if not new:
            return replace(page, seen=seen)
        if self.newest_first:
            return replace(page, rows=(new[::-1] + page.rows)[: self.size], seen=seen)
        return replace(page, rows=(page.rows + new)[-self.size :], seen=seen)

    def _forward(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        """``n`` rows after ``edge`` in display order."""
        return self._source.before(edge, n) if self.newest_first else self._source.after(edge, n)

    def _backward(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        """``n`` rows before ``edge`` in display order, nearest first."""
        return self._source.after(edge, n) if self.newest_first else self._source.before(edge, n)

    def _page(
        self, rows: list[RawEvent], number: int | None, *, at_start: bool, seen: int
    ) -> EventPage:
        at_end = len(rows) <= self.size
        return EventPage(rows[: self.size], self.newest_first, number, at_start, at_end, seen)


def _position(raw: RawEvent) -> int:
    return raw.position


class _StoreSource:
    """Pages of the whole store, read by position with the filters applied by the store."""

    def __init__(self, store: EventStore, where: EventFilter) -> None:
        self.store = store
        self.where = where

    def after(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        return self.since(0 if edge is None else edge.position, None, n)

    def before(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        where = self.where
        return self.store.read_all_raw_backwards(
            None if edge is None else edge.position,
            n,
            types=where.types,
            categories=where.categories,
            since=where.since,
            until=where.until,
        )

    def since(self, position: int, newest: RawEvent | None, n: int) -> list[RawEvent]:
        where = self.where
        return self.store.read_all_raw(
            position,
            n,
            types=where.types,
            categories=where.categories,
            since=where.since,
            until=where.until,
        )


class _StreamSource:
    """Pages of one stream, read ``STREAM_WINDOW`` versions at a time, filtered here."""

    def __init__(self, store: EventStore, where: EventFilter) -> None:
        assert where.stream is not None
        self.store, self.stream, self.where = store, where.stream, where

    def after(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        if edge is not None and edge.version is None:  # versionless: small by nature
            return [raw for raw in self._all() if raw.position > edge.position][:n]
        kept: list[RawEvent] = []
        start = 1 if edge is None or edge.version is None else edge.version + 1
        while len(kept) < n:
            window = self.store.load_stream_raw(self.stream, start, start + STREAM_WINDOW)
            if not window:
                return self._all()[:n] if edge is None and start == 1 else kept
            kept += [raw for raw in window if self.where.keeps(raw)]
            start += STREAM_WINDOW
        return kept[:n]

    def before(self, edge: RawEvent | None, n: int) -> list[RawEvent]:
        top = self._last_version() if edge is None else edge.version
        if top is None:  # versionless: small by nature, read whole
            below = edge.position if edge is not None else None
            kept = [raw for raw in self._all() if below is None or raw.position < below]
            return kept[::-1][:n]
        top -= 0 if edge is None else 1
        kept = []
        while len(kept) < n and top >= 1:
            bottom = max(1, top - STREAM_WINDOW + 1)
            window = self.store.load_stream_raw(self.stream, bottom, top + 1)
            kept += [raw for raw in reversed(window) if self.where.keeps(raw)]
            top = bottom - 1
        return kept[:n]

    def since(self, position: int, newest: RawEvent | None, n: int) -> list[RawEvent]:
        return [raw for raw in self.after(newest, n) if raw.position > position]

    def _last_version(self) -> int | None:
        """The stream's last version, by probing single versions (doubling, then halving):
        about 2·log2(versions) one-row loads; None when it has no versioned events."""
        if not self._has(1):
            return None
        present, missing = 1, 2
        while self._has(missing):
            present, missing = missing, missing * 2
        while missing - present > 1:
            middle = (present + missing) // 2
            present, missing = (middle, missing) if self._has(middle) else (present, middle)
        return present

    def _has(self, version: int) -> bool:
        return bool(self.store.load_stream_raw(self.stream, version, version + 1))

    def _all(self) -> list[RawEvent]:
        return [raw for raw in self.store.load_stream_raw(self.stream) if self.where.keeps(raw)]
