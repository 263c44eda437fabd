"""Workbench: one handle on a store for notebooks and the dashboard; every question it
answers is a DataFrame or a small object with a rich display."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pandas as pd
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from event_sourcery import (
    Aggregate,
    EntryStatus,
    Event,
    EventStore,
    Publisher,
    RawEvent,
    StoreUnavailable,
    StreamId,
    UnsupportedURL,
    connect,
)
from workbench import lineage, outbox_audit, snapshots
from workbench.errors import InvalidFilter, NoAggregateFor, StoreNotFound
from workbench.frames import events_frame
from workbench.outbox_audit import Chosen, EntryRef, OutboxSummary
from workbench.paging import EventPager
from workbench.reading import EventFilter, EventQuery, raw_chunks
from workbench.snapshots import SnapshotComparison
from workbench.state import AggregateFolder, MergeFolder, decoded
from workbench.streams import StreamFinder
from workbench.timeline import CHECKPOINT_EVERY, Timeline
from workbench.trace import Trace, conversation, trace

StreamRef = UUID | StreamId | str
"""A stream as callers name it: its uuid (or its text), a StreamId, or its name."""


class Workbench:
    """Read (and, with ``read_only=False``, replay) what a store holds.

    ``aggregates`` are the classes that rebuild streams (by their ``category``), used to
    audit snapshots; ``Workbench.open(url, app=...)`` also finds those the app defines.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        read_only: bool = True,
        aggregates: Iterable[type[Aggregate]] = (),
    ) -> None:
        self.store = store
        self.read_only = read_only
        self.aggregates: dict[str | None, type[Aggregate]] = {a.category: a for a in aggregates}
        self._streams = StreamFinder(store)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        app: str | Sequence[str] | None = None,
        read_only: bool = True,
        aggregates: Iterable[type[Aggregate]] = (),
    ) -> Workbench:
        """Connect to the store at ``url`` (its tables must exist); ``app`` names modules to
        import so that their event classes register and their aggregates are known."""
        modules = [app] if isinstance(app, str) else list(app or ())
        found = [*aggregates]
        for name in modules:
            importlib.import_module(name)
            found += _aggregates_of(name)
        return cls(_existing_store(url), read_only=read_only, aggregates=found)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Events

    def events(
        self,
        stream: StreamRef | None = None,
        *,
        category: str | Sequence[str | None] | None = None,
        types: Iterable[type[Event] | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int = 0,
        limit: int | None = None,
        payload: bool = True,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """One row per event, in position order (see ``frames.ENVELOPE_COLUMNS``), payloads
        flattened into ``data.*`` columns (``payload=False`` leaves them out)."""
        where = self._where(stream, category, types, since, until)
        query = EventQuery(
            stream=where.stream,
            categories=where.categories,
            types=where.types,
            since=since,
            until=until,
            after=after,
            limit=limit,
        )
        return events_frame(raw_chunks(self.store, query, progress), payload=payload)

    def streams(self) -> pd.DataFrame:
        """One row per stream: id, name, category, version, events, first/last time,
        snapshots."""
        return self._streams.frame()

    def types(self) -> pd.DataFrame:
        """The event types stored: count, first and last seen, schema versions, and whether
        this process knows the class."""
        frame = self.events(payload=False)
        registry = self.store.registry
        grouped = frame.groupby("type", observed=True)
        catalogue = pd.DataFrame(
            {
                "count": grouped.size(),
                "first_seen": grouped["created_at"].min(),
                "last_seen": grouped["created_at"].max(),
                "schema_versions": grouped["schema_version"].agg(lambda v: sorted(set(v))),
            }
        ).reset_index()
        catalogue["known"] = [registry.get(name) is not None for name in catalogue["type"]]
        return catalogue.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)

    def type_names(self) -> list[str]:
        """The stored type names, sorted: from the store's type index, not its events."""
        return self.store.event_types()

    def find_streams(self, text: str, limit: int = 20) -> pd.DataFrame:
        """Streams whose name or uuid contains ``text`` (any case), at most ``limit``."""
        return self._streams.search(text, limit)

    def pager(
        self,
        stream: StreamRef | None = None,
        *,
        category: str | Sequence[str | None] | None = None,
        types: Iterable[type[Event] | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        size: int = 50,
        newest_first: bool = True,
    ) -> EventPager:
        """Pages of ``size`` events for a table, newest or oldest first (see ``paging``):
        each page reads about as many rows as it shows."""
        where = self._where(stream, category, types, since, until)
        return EventPager(self.store, where, size=size, newest_first=newest_first)

    def correlated(
        self, correlation_id: UUID | str, *, near: UUID | str | None = None
    ) -> pd.DataFrame:
        """The events of one conversation (see ``lineage.correlated``); ``near`` (an event
        of it) bounds the read to ``trace.TRACE_WINDOW`` events from its start or around it."""
        if near is not None:
            return conversation(self.store, str(correlation_id), near)
        return lineage.correlated(self.events(), str(correlation_id))

    def causation_tree(self, event_uuid: UUID | str) -> pd.DataFrame:
        """The causation tree an event sits in (see ``lineage.causation_tree``)."""
        return lineage.causation_tree(self.events(), str(event_uuid))

    def trace(self, event_uuid: UUID | str) -> Trace:
        """One event's story: its stream and version, causation parent and children (among
        the ``trace.TRACE_WINDOW`` events after it), and its outbox entry with attempts."""
        return trace(self.store, str(event_uuid))

    # Time travel

    def timeline(
        self,
        stream: StreamRef,
        aggregate: Callable[[], Aggregate] | None = None,
        *,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> Timeline[Any]:
        """The stream's states version by version: through ``aggregate`` (a class or
        factory), or without one the running merge of its payloads."""
        stream_id = self._streams.find(stream)
        raws = self.store.load_stream_raw(stream_id)
        if aggregate is None:
            return Timeline(stream_id, raws, MergeFolder(), checkpoint_every=checkpoint_every)
        events, undecodable = decoded(self.store, raws)
        folder = AggregateFolder(aggregate)
        return Timeline(
            stream_id,
            raws,
            folder,
            events,
            checkpoint_every=checkpoint_every,
            undecodable=undecodable,
        )

    # Snapshots

    def snapshots(self, stream: StreamRef | None = None) -> pd.DataFrame:
        """Every stored snapshot (or one stream's): stream, version, time, class."""
        stream_id = None if stream is None else self._streams.find(stream)
        return snapshots.snapshots_frame(self.store.snapshots_raw(stream_id))

    def compare_snapshot(self, stream: StreamRef, version: int | None = None) -> SnapshotComparison:
        """The stream's snapshot at ``version`` (default: its latest) against the state
        rebuilt from the events up to that version."""
        stream_id = self._streams.find(stream)
        return snapshots.compare(
            self.store, self._snapshot(stream_id, version), self._rebuilder(stream_id)
        )

    def audit_snapshots(self) -> pd.DataFrame:
        """Every snapshot compared with the events: status match, drift or undecodable."""
        comparisons = []
        for raw in self.store.snapshots_raw(None):
            aggregate = self.aggregates.get(raw.stream_id.category)
            if aggregate is None:
                reason = f"no aggregate class for category {raw.stream_id.category!r}"
                comparisons.append(snapshots.unknown(raw, reason))
                continue
            comparisons.append(snapshots.compare(self.store, raw, aggregate))
        return snapshots.audit_frame(comparisons)

    def diff_snapshots(self, stream: StreamRef, old: int, new: int) -> Any:
        """What changed between the stream's snapshots at versions ``old`` and ``new``."""
        from workbench.diff import diff

        stream_id = self._streams.find(stream)
        before = snapshots.snapshot_state(self.store, self._snapshot(stream_id, old))
        after = snapshots.snapshot_state(self.store, self._snapshot(stream_id, new))
        return diff(before, after)

    # Outbox

    def outbox(
        self,
        status: EntryStatus | str | None = None,
        *,
        stream: StreamRef | None = None,
        types: Iterable[type[Event] | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Outbox entries with status, attempts, last error and delivery latency."""
        return outbox_audit.outbox_frame(
            self.store,
            status=status,
            stream=None if stream is None else self._streams.find(stream),
            types=types,
            since=since,
            until=until,
            limit=limit,
        )

    def attempts(self, entry: EntryRef | None = None) -> pd.DataFrame:
        """Every delivery attempt, or one entry's (an entry, its position or event uuid)."""
        return outbox_audit.attempts_frame(self.store, entry)

    def outbox_summary(self) -> OutboxSummary:
        """Counts by status, latency percentiles and failures by error type."""
        return outbox_audit.outbox_summary(self.store)

    def replay(
        self, selection: Chosen, publisher: Publisher | None = None, *, dry_run: bool = True
    ) -> pd.DataFrame:
        """What a replay would send (``dry_run``), or send it: needs ``read_only=False``."""
        return outbox_audit.replay(
            self.store, selection, publisher, dry_run=dry_run, read_only=self.read_only
        )

    def dashboard(self, publisher: Publisher | None = None) -> Any:
        """The dashboard's views as tabs, to display inline in a notebook (replays need
        ``read_only=False`` and a ``publisher``)."""
        import panel as pn

        from workbench.dashboard.app import DashboardTabs
        from workbench.dashboard.state import DashboardState

        pn.extension("tabulator")
        return DashboardTabs(DashboardState(self, publisher=publisher))

    # Helpers

    def _where(
        self,
        stream: StreamRef | None,
        category: str | Sequence[str | None] | None,
        types: Iterable[type[Event] | str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> EventFilter:
        """The filters callers give, as stored names and the stream's full id."""
        return EventFilter(
            types=None if types is None else self.store.registry.names_for(types),
            categories=[category] if isinstance(category, str) else category,
            stream=None if stream is None else self._streams.find(stream),
            since=since,
            until=until,
        )

    def _snapshot(self, stream_id: StreamId, version: int | None) -> RawEvent:
        raws = self.store.snapshots_raw(stream_id)
        if version is not None:
            raws = [raw for raw in raws if raw.version == version]
        if not raws:
            at = "" if version is None else f" at version {version}"
            raise InvalidFilter(f"stream {stream_id.name or stream_id.uuid} has no snapshot{at}")
        return raws[-1]

    def _rebuilder(self, stream_id: StreamId) -> type[Aggregate]:
        aggregate = self.aggregates.get(stream_id.category)
        if aggregate is None:
            raise NoAggregateFor(f"streams of category {stream_id.category!r}")
        return aggregate


def _existing_store(url: str) -> EventStore:
    """The store at ``url``, which must exist: a missing SQLite file is not created, and a
    database without the store's tables is refused (the workbench creates nothing)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedURL(url, "it is not a database URL") from None
    where, database = parsed.render_as_string(hide_password=True), parsed.database
    on_disk = parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if on_disk and Path(str(database)).is_dir():
        raise StoreNotFound(where, f"{database} is a folder, not an SQLite file")
    if on_disk and not Path(str(database)).is_file():
        raise StoreNotFound(where, f"there is no file {database}")
    store = connect(url, create_tables=False)
    try:
        store.horizon()
    except StoreUnavailable:  # the database is there but did not answer: say that
        store.close()
        raise
    except DBAPIError as error:
        store.close()
        raise StoreNotFound(where, str(error.orig).splitlines()[0]) from None
    return store


def _aggregates_of(module: str) -> list[type[Aggregate]]:
    """Aggregate classes defined in ``module`` or its submodules (already imported)."""
    found: list[type[Aggregate]] = []
    pending = list(Aggregate.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__ == module or cls.__module__.startswith(module + "."):
            found.append(cls)
    return found
