"""``build_demo``: fill an empty store with the demo's history (events, snapshots, outbox
deliveries), the same for the same seed, and say what it holds in a ``DemoSummary``."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from tqdm.auto import tqdm

from event_sourcery import (
    EntryStatus,
    EventStore,
    OutboxFilter,
    StreamId,
    connect,
    event_name,
    get_event_store,
)
from workbench.demo.events import EVENT_TYPES, LEGACY_REGISTRY, UsageRecorded
from workbench.demo.outbox_history import relay_history
from workbench.demo.simulation import DRIFT_STREAM, Simulation
from workbench.demo.writer import Writer

SNAPSHOT_EVERY = 50
EVENTS_PER_CUSTOMER = 32
"""About how many events a customer brings; the simulation plans a few customers more
than the budget needs and stops at the budget."""
PUBLISHED = OutboxFilter(types=[event_name(t) for t in EVENT_TYPES if t is not UsageRecorded])
"""Every event but the nightly usage records gets an outbox entry (names, not classes, so
that rows written at schema version 1 get one too)."""


class DemoError(ValueError):
    """The demo cannot be built as asked (bad arguments, a store that holds events)."""


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` stored. ``drifted_stream``/``drifted_version`` name the one
    snapshot whose state differs from replaying its events (None if the budget ended first)."""

    seed: int
    events: int
    streams: int
    subscriptions: int
    invoices: int
    snapshots: int
    legacy_events: int
    """Events stored at an older schema version (read back through an upcaster)."""
    first_event_at: datetime | None
    last_event_at: datetime | None
    outbox_delivered: int
    outbox_dead: int
    outbox_pending: int
    failed_attempts: int
    """Attempts that failed and were retried (dead ones aside)."""
    drifted_stream: StreamId | None
    drifted_version: int | None
    seconds: float

    def __str__(self) -> str:
        drift = (
            f"1 drifted: {self.drifted_stream.name} v{self.drifted_version}"
            if self.drifted_stream is not None
            else "none drifted"
        )
        return (
            f"{self.events:,} events in {self.streams:,} streams "
            f"({self.subscriptions:,} subscriptions, {self.invoices:,} invoices), "
            f"{self.snapshots:,} snapshots ({drift}), outbox: {self.outbox_delivered:,} "
            f"delivered, {self.outbox_dead:,} dead, {self.outbox_pending:,} pending "
            f"({self.failed_attempts:,} failed attempts), {self.seconds:.1f} s"
        )


def build_demo(
    url: str, *, events: int = 100_000, seed: int = 0, progress: bool = True
) -> DemoSummary:
    """Build the demo into the empty store at ``url``, in a few large transactions (a session
    of its own), then relay its outbox; ``DemoError`` for bad arguments or a used store."""
    _check(events, seed)
    vanishes = DemoError(f"{url}: an in-memory store would vanish; use populate(store) for one")
    if url.startswith("memory://"):
        raise vanishes
    store = connect(url, with_outbox=PUBLISHED, sqlite_synchronous="NORMAL")
    try:
        parsed = make_url(url)  # connect() accepted it
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            raise vanishes
        _refuse_events_in(store)
        if parsed.get_backend_name() == "postgresql" and "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")  # as connect() reads it
        engine = create_engine(parsed)
        try:
            with Session(engine) as session:
                writing = get_event_store(session, with_outbox=PUBLISHED)
                legacy = get_event_store(session, LEGACY_REGISTRY, with_outbox=PUBLISHED)
                return _build(
                    store,
                    writing=writing,
                    legacy=legacy,
                    commit=session.commit,
                    events=events,
                    seed=seed,
                    progress=progress,
                )
        finally:
            engine.dispose()
    finally:
        store.close()


def populate(
    store: EventStore, *, events: int = 100_000, seed: int = 0, progress: bool = True
) -> DemoSummary:
    """Build the demo into ``store`` (empty; outbox entries as the store was told to make
    them, e.g. ``with_outbox=PUBLISHED``), one transaction per append."""
    _check(events, seed)
    _refuse_events_in(store)
    legacy = EventStore(store.storage, LEGACY_REGISTRY, with_outbox=store.outbox_filter or False)
    return _build(
        store,
        writing=store,
        legacy=legacy,
        commit=lambda: None,
        events=events,
        seed=seed,
        progress=progress,
    )


def _build(
    store: EventStore,
    *,
    writing: EventStore,
    legacy: EventStore,
    commit: Callable[[], None],
    events: int,
    seed: int,
    progress: bool,
) -> DemoSummary:
    started = time.perf_counter()
    with tqdm(total=events, disable=not progress, desc="demo", unit="event") as bar:
        writer = Writer(
            writing,
            legacy,
            random.Random(f"{seed}/ids"),
            events,
            snapshot_every=SNAPSHOT_EVERY,
            drift_stream=DRIFT_STREAM,
            commit=commit,
            on_written=bar.update,
        )
        customers = math.ceil(events * 1.12 / EVENTS_PER_CUSTOMER) + 3
        Simulation(writer, random.Random(seed), customers).run()
        writer.finish()
    with _relay_warnings_off():  # the demo's dead letters are on purpose
        report = relay_history(store, seed, progress=progress)
    counts = store.outbox.counts()
    written = writer.written
    drifted_stream, drifted_version = written.drifted or (None, None)
    return DemoSummary(
        seed=seed,
        events=written.events,
        streams=sum(written.streams.values()),
        subscriptions=written.streams.get("subscription", 0),
        invoices=written.streams.get("invoice", 0),
        snapshots=written.snapshots,
        legacy_events=written.legacy_events,
        first_event_at=written.first_at,
        last_event_at=written.last_at,
        outbox_delivered=counts.get(EntryStatus.DELIVERED, 0),
        outbox_dead=counts.get(EntryStatus.DEAD, 0),
        outbox_pending=counts.get(EntryStatus.PENDING, 0),
        failed_attempts=report.failed,
        drifted_stream=drifted_stream,
        drifted_version=drifted_version,
        seconds=time.perf_counter() - started,
    )


def _refuse_events_in(store: EventStore) -> None:
    if store.read_all_raw(limit=1):
        raise DemoError(
            "the store already holds events; build the demo into an empty database "
            "(the CLI's --force deletes an SQLite file first)"
        )


def _check(events: int, seed: int) -> None:
    if isinstance(events, bool) or not isinstance(events, int) or events < 1:
        raise DemoError(f"events={events!r}: give a whole number of events, at least 1")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DemoError(f"seed={seed!r}: give a whole number")


@contextmanager
def _relay_warnings_off() -> Iterator[None]:
    """The relay's logger at ERROR while the block runs, as it was afterwards."""
    relay_log = logging.getLogger("event_sourcery.outbox")
    level = relay_log.level
    relay_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        relay_log.setLevel(level)
