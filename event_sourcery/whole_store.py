"""Reads of the whole store, for readers and tools: every stream's events in position order
(``read_all``, its pages, newest first), one event by uuid, and the streams and types held."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from event_sourcery.bulk import collector_paused
from event_sourcery.errors import InvalidRange
from event_sourcery.event import Event
from event_sourcery.records import Page, RawEvent, Recorded, StreamInfo, aware_moment
from event_sourcery.registry import EventRegistry
from event_sourcery.serde import decode_all
from event_sourcery.storage.protocol import Storage
from event_sourcery.storage.reading import ReadFilter
from event_sourcery.versioning import is_whole


class WholeStoreReads:
    """The part of ``EventStore`` that reads across streams; kept apart so that the store's
    module holds the stream operations."""

    storage: Storage
    registry: EventRegistry

    def streams(
        self,
        *,
        categories: Iterable[str | None] | None = None,
        limit: int | None = None,
    ) -> list[StreamInfo]:
        """One ``StreamInfo`` per stream holding events (its id, version, counts, first and
        last event's time), in creation order (its first event's position), at most
        ``limit``; ``categories`` filters as in ``read_all`` (None: streams without one)."""
        if limit is not None and not is_whole(limit):
            raise InvalidRange("limit", limit, "not a number of streams: use an int >= 0 or None")
        return self.storage.streams(_category_filter(categories), limit)

    def read_all(
        self,
        after: int = 0,
        limit: int | None = None,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Recorded[Event]]:
        """Events of every stream after position ``after`` (exclusive), in position order,
        at most ``limit``. ``types`` (classes, with their subclasses, or stored names),
        ``categories`` (None: streams without one) and the recording time
        (``since <= created_at < until``) filter them, combined. Never returns an event
        past ``position``, so a reader that goes on from the last position it got skips
        nothing that commits later."""
        return self.read_page(
            after, limit, types=types, categories=categories, since=since, until=until
        ).events

    def read_page(
        self,
        after: int = 0,
        limit: int | None = None,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page:
        """``read_all`` with the position to go on from (``Page.position``): a reader
        with filters moves past the events they left out without reading them again."""
        raws, position = self._read_all_raw(
            after, limit, types=types, categories=categories, since=since, until=until
        )
        with collector_paused():
            return Page(decode_all(raws, self.registry), position)

    def read_all_raw(
        self,
        after: int = 0,
        limit: int | None = None,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RawEvent]:
        """``read_all`` undecoded: type names and JSON, for tools."""
        return self._read_all_raw(
            after, limit, types=types, categories=categories, since=since, until=until
        )[0]

    def read_all_backwards(
        self,
        before: int | None = None,
        limit: int | None = None,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Recorded[Event]]:
        """``read_all`` newest first: events before position ``before`` (exclusive; None:
        from ``position`` down), at most ``limit``, filtered as ``read_all`` filters."""
        raws = self.read_all_raw_backwards(
            before, limit, types=types, categories=categories, since=since, until=until
        )
        with collector_paused():
            return decode_all(raws, self.registry)

    def read_all_raw_backwards(
        self,
        before: int | None = None,
        limit: int | None = None,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RawEvent]:
        """``read_all_backwards`` undecoded, for tools (the newest pages of a big store)."""
        if before is not None and not is_whole(before):
            raise InvalidRange("before", before, "not a position: use an int >= 0 or None")
        read = self._read_filter(limit, types, categories, since, until)
        with collector_paused():
            return self.storage.read_all_backwards(before, limit, read)[0]

    def event_raw(self, uuid: UUID) -> RawEvent | None:
        """The stored event with this uuid, undecoded (None if there is none): one
        lookup by the events' unique uuid, whatever the store's size."""
        if not isinstance(uuid, UUID):
            raise InvalidRange("uuid", uuid, "not an event uuid: use a uuid.UUID")
        return self.storage.event(uuid)

    def event_types(self) -> list[str]:
        """The type names the stored events carry, each once, sorted; read from the type
        index, not from the events."""
        return sorted(self.storage.event_types())

    def _read_filter(
        self,
        limit: int | None,
        types: Iterable[type[Event] | str] | None,
        categories: Iterable[str | None] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> ReadFilter:
        """The filters of a read of the whole store, checked, as storage takes them."""
        if limit is not None and not is_whole(limit):
            raise InvalidRange("limit", limit, "not a number of events: use an int >= 0 or None")
        return ReadFilter(
            types=None if types is None else self.registry.names_for(types),
            categories=_category_filter(categories),
            since=aware_moment(since, "since"),
            until=aware_moment(until, "until"),
        )

    def _read_all_raw(
        self,
        after: int,
        limit: int | None,
        *,
        types: Iterable[type[Event] | str] | None,
        categories: Iterable[str | None] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[list[RawEvent], int]:
        """The events read and the position to go on from."""
        if not is_whole(after):
            raise InvalidRange("after", after, "not a position: use an int >= 0")
        read = self._read_filter(limit, types, categories, since, until)
        with collector_paused():
            raws, horizon = self.storage.read_all(after, limit, read)
        if limit is not None and len(raws) >= limit:  # stopped at the limit
            return raws, raws[-1].position if raws else after
        return raws, max(after, horizon)


def _category_filter(categories: Iterable[str | None] | None) -> tuple[str, ...] | None:
    """``categories`` as storage filters by them ("" for streams without one); a lone str
    or an entry that is not a category is refused rather than read letter by letter."""
    if categories is None:
        return None
    if isinstance(categories, str) or not isinstance(categories, Iterable):
        raise InvalidRange("categories", categories, "not a list of categories: use [str | None]")
    chosen = tuple(categories)
    if not all(category is None or isinstance(category, str) for category in chosen):
        raise InvalidRange("categories", chosen, "not a list of categories: use [str | None]")
    return tuple(category or "" for category in chosen)
