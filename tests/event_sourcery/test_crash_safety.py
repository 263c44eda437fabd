"""Writers and relays killed with SIGKILL again and again, on SQLite and PostgreSQL.

A writer notes each batch before appending it and again once the append returned; after
every kill, every acknowledged batch is stored whole, no batch is stored in part, stream
versions run on without gaps, positions only grow, and SQLite's file passes its integrity
check. A relay killed mid-delivery leaves nothing undelivered: after a last clean run,
every entry went out at least once. ``EVENT_SOURCERY_CRASH_ROUNDS`` sets the kills per
backend (20 by default) for a deeper run; each test prints its figures (``pytest -s``).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4, uuid5

import pytest
from sqlalchemy import Engine

from event_sourcery import EntryStatus, Envelope, Event, EventStore, Outbox, Outcome, connect
from event_sourcery.records import RawEvent, Recorded, utc_now
from event_sourcery.testing.events import Deposited

ROUNDS = int(os.environ.get("EVENT_SOURCERY_CRASH_ROUNDS", "20"))
RELAY_ROUNDS = max(ROUNDS // 2, 1)
STREAMS = 8
MAX_BATCH = 10
RELAY_LIMIT = 20
RELAY_LEASE = 2.0
STARTED_WITHIN = 120.0  # seconds for a worker to get going on a loaded machine


class Written(Event):
    """One event of a batch: which batch, how many events it has, and its place in it."""

    __event_name__: ClassVar[str] = "crash_safety.Written"
    batch: str
    size: int
    index: int


PRELOADED = [
    "event_sourcery",
    "event_sourcery.testing.events",
    "event_sourcery.testing.projections",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "pytest",
]


def _context() -> BaseContext:
    """Workers forked from a server that has the library imported: a restart costs
    milliseconds instead of a fresh interpreter's second or more."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context


def _noting_errors(log: str, work: Any, *args: Any) -> None:
    """Run ``work``; if it fails rather than being killed, leave the traceback beside
    ``log`` for the test to show (a forked worker's stderr goes nowhere useful)."""
    try:
        work(*args)
    except BaseException:
        Path(f"{log}.error").write_text(traceback.format_exc())
        raise


# --- writers ------------------------------------------------------------------------------


def _write_batches(url: str, streams: list[str], log: str, seed: int, durability: str) -> None:
    """A writer process: appends batches of 1 to MAX_BATCH events to ``streams`` at their
    expected versions until killed, noting each batch before ("try") and after ("ack")."""
    store = connect(url, create_tables=False, sqlite_synchronous=durability)
    rng = random.Random(seed)
    versions = {str(info.stream_id.uuid): info.version or 0 for info in store.streams()}
    with open(log, "a") as out:
        while True:
            stream = rng.choice(streams)
            expected = versions.get(stream, 0)
            size = rng.randint(1, MAX_BATCH)
            batch = str(uuid4())
            envelopes = [
                Envelope(event=Written(batch=batch, size=size, index=i)) for i in range(size)
            ]
            uuids = " ".join(str(envelope.uuid) for envelope in envelopes)
            out.write(f"try {batch} {stream} {expected} {uuids}\n")
            out.flush()
            store.append(*envelopes, stream_id=UUID(stream), expected_version=expected)
            versions[stream] = expected + size
            out.write(f"ack {batch}\n")  # one write: a kill leaves whole lines only
            out.flush()


@dataclass
class Tried:
    stream: UUID
    expected: int
    uuids: list[UUID]


@dataclass
class WriterLog:
    """What the writers said: every batch tried, and the ones whose append returned."""

    tried: dict[str, Tried] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> WriterLog:
        noted = cls()
        for line in _whole_lines(path):
            kind, batch, *rest = line.split()
            if kind == "try":
                stream, expected, *uuids = rest
                noted.tried[batch] = Tried(UUID(stream), int(expected), [UUID(u) for u in uuids])
            else:
                noted.acked.append(batch)
        return noted


def _whole_lines(path: Path) -> list[str]:
    text = path.read_text() if path.exists() else ""
    return text.split("\n")[:-1]  # a line cut short by a kill has no newline yet


def _all_events(store: EventStore, page: int = 500) -> Iterator[RawEvent]:
    """The whole store, read page by page as a reader going on from a position does."""
    after = 0
    while events := store.read_all_raw(after, page):
        yield from events
        after = events[-1].position


@dataclass
class Figures:
    """What a writers' run did, for the report: batches tried and acknowledged, events
    acknowledged and stored, batches stored though the kill came before their ack."""

    backend: str
    rounds: int = 0
    kills: int = 0
    tried: int = 0
    acked: int = 0
    acked_events: int = 0
    stored_events: int = 0
    stored_unacked: int = 0
    seconds: float = 0.0

    def report(self) -> None:
        print(f"\ncrash safety figures: {self}")


def _check_writes(store: EventStore, log: Path, sqlite_file: Path | None, figures: Figures) -> None:
    noted = WriterLog.read(log)
    stored = list(_all_events(store))
    positions = [event.position for event in stored]
    assert all(a < b for a, b in pairwise(positions)), "positions must only grow"
    batches: dict[str, list[RawEvent]] = defaultdict(list)
    streams: dict[UUID, list[int]] = defaultdict(list)
    for event in stored:
        batches[event.data["batch"]].append(event)
        assert event.version is not None
        streams[event.stream_id.uuid].append(event.version)
    for batch, events in batches.items():  # every stored batch is one the writer tried, whole
        assert batch in noted.tried, f"batch {batch} stored but never tried"
        tried = noted.tried[batch]
        assert [e.data["size"] for e in events] == [len(tried.uuids)] * len(events), batch
        assert [e.data["index"] for e in events] == list(range(len(tried.uuids))), batch
        assert [e.uuid for e in events] == tried.uuids, batch
        assert {e.stream_id.uuid for e in events} == {tried.stream}, batch
        first = tried.expected + 1
        assert [e.version for e in events] == list(range(first, first + len(events))), batch
        assert {e.type for e in events} == {Written.__event_name__}, batch
    missing = [batch for batch in noted.acked if batch not in batches]
    assert missing == [], f"{len(missing)} acknowledged batches lost"
    for stream, versions in streams.items():
        assert versions == list(range(1, len(versions) + 1)), f"gap in stream {stream}"
        loaded = store.load_stream_raw(stream)
        assert [e.uuid for e in loaded] == [e.uuid for e in stored if e.stream_id.uuid == stream]
    acked_events = sum(len(noted.tried[batch].uuids) for batch in noted.acked)
    assert len(stored) >= acked_events
    if sqlite_file is not None:
        with closing(sqlite3.connect(sqlite_file)) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    figures.tried, figures.acked = len(noted.tried), len(noted.acked)
    figures.acked_events, figures.stored_events = acked_events, len(stored)
    figures.stored_unacked = len(batches) - len(noted.acked)


def _kill_when_working(
    context: BaseContext,
    target: Any,
    args: tuple[Any, ...],
    log: Path,
    *,
    working: str,
    rng: random.Random,
) -> bool:
    """Start a worker, wait until it adds ``working`` to ``log``, let it run a random moment
    more and SIGKILL it; whether the kill (not an error) ended it."""
    noted = log.stat().st_size if log.exists() else 0
    worker = context.Process(target=_noting_errors, args=(str(log), target, *args))
    worker.start()
    deadline = time.monotonic() + STARTED_WITHIN
    while not _added(log, noted, working):
        error = Path(f"{log}.error")
        assert not error.exists(), error.read_text()
        assert worker.is_alive(), f"the worker ended by itself ({worker.exitcode})"
        assert time.monotonic() < deadline, "the worker never got going"
        time.sleep(0.002)
    time.sleep(rng.uniform(0.0, 0.15))
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    return worker.exitcode == -signal.SIGKILL


def _added(log: Path, after: int, text: str) -> bool:
    if not log.exists():
        return False
    with open(log, "rb") as noted:
        noted.seek(after)
        return text.encode() in noted.read()


def _kill_writers(
    url: str, store: EventStore, tmp_path: Path, sqlite_file: Path | None, durability: str = "FULL"
) -> None:
    figures = Figures(f"sqlite, synchronous={durability}" if sqlite_file else "postgresql")
    rng = random.Random()
    streams = [str(uuid5(UUID(int=0), f"crash-{n}-{rng.random()}")) for n in range(STREAMS)]
    log = tmp_path / "writer.log"
    context = _context()
    started = time.monotonic()
    for round_ in range(ROUNDS):
        args = (url, streams, str(log), rng.getrandbits(32), durability)
        figures.kills += _kill_when_working(
            context, _write_batches, args, log, working="\nack ", rng=rng
        )
        figures.rounds = round_ + 1
        _check_writes(store, log, sqlite_file, figures)
    figures.seconds = round(time.monotonic() - started, 1)
    figures.report()
    assert figures.kills == ROUNDS
    assert figures.acked >= ROUNDS  # every round acknowledged at least one batch
    # The kills did land inside appends: some batches were tried and never acknowledged
    # (each was then found whole or absent, above).
    assert figures.tried > figures.acked


@pytest.mark.parametrize("durability", ["FULL", "NORMAL"])  # a process crash loses nothing
def test_sqlite_writers_killed_mid_append_lose_nothing_acknowledged_and_leave_no_part(
    tmp_path: Path, durability: str
) -> None:
    path = tmp_path / "crash.db"
    url = f"sqlite:///{path}"
    with connect(url) as store:
        _kill_writers(url, store, tmp_path, path, durability)


@pytest.mark.postgres
def test_postgresql_writers_killed_mid_append_lose_nothing_acknowledged_and_leave_no_part(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    from tests.conftest import schema_of_its_own

    with schema_of_its_own(postgres_engine, "crash_writers") as url, connect(url) as store:
        _kill_writers(url, store, tmp_path, None)


# --- relays -------------------------------------------------------------------------------


def _relay_until_killed(url: str, log: str, relay_id: str) -> None:
    """A relay process: delivers until killed, noting every event it publishes."""
    outbox = Outbox(connect(url, create_tables=False), lease=RELAY_LEASE, relay_id=relay_id)
    with open(log, "a") as out:

        def publish(record: Recorded[Any]) -> None:
            out.write(f"{record.uuid} {record.stream_id.uuid} {record.version}\n")
            out.flush()
            time.sleep(0.001)  # a kill lands in the middle of a batch, not between

        while True:
            if not outbox.run_once(publish, limit=RELAY_LIMIT).claimed:
                time.sleep(0.01)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'relay.db'}"
        return
    from tests.conftest import schema_of_its_own

    engine: Engine = request.getfixturevalue("postgres_engine")
    with schema_of_its_own(engine, "crash_relays") as schema_url:
        yield schema_url


def test_relays_killed_mid_delivery_lose_no_entry_and_redeliver_only_their_last_batch(
    url: str, tmp_path: Path
) -> None:
    figures: dict[str, Any] = {"backend": url.split(":", maxsplit=1)[0], "rounds": RELAY_ROUNDS}
    rng = random.Random()
    log = tmp_path / "published.log"
    context = _context()
    started = time.monotonic()
    kills = 0
    with connect(url, with_outbox=True) as store:
        for round_ in range(RELAY_ROUNDS):  # new entries each round, some left from before
            for _ in range(10):
                amounts = [Deposited(amount=n) for n in range(rng.randint(1, 5))]
                store.append(*amounts, stream_id=uuid4())
            args = (url, str(log), f"killed-{round_}")
            kills += _kill_when_working(
                context, _relay_until_killed, args, log, working="\n", rng=rng
            )
        figures["left_pending"] = store.outbox.counts()[EntryStatus.PENDING]
        after_leases = Outbox(  # the dead relays' leases have run out
            store, relay_id="last", clock=lambda: utc_now() + timedelta(seconds=RELAY_LEASE)
        )
        with open(log, "a") as out:

            def publish(record: Recorded[Any]) -> None:
                out.write(f"{record.uuid} {record.stream_id.uuid} {record.version}\n")

            while after_leases.run_once(publish).claimed:
                pass
        entries = store.outbox.entries()
        attempts = store.outbox.attempts()
    published = [line.split() for line in _whole_lines(log)]
    delivered = {UUID(uuid) for uuid, _, _ in published}
    assert kills == RELAY_ROUNDS
    assert {entry.status for entry in entries} == {EntryStatus.DELIVERED}
    assert delivered == {entry.event_uuid for entry in entries}  # each at least once
    duplicates = len(published) - len(delivered)
    assert duplicates <= kills * RELAY_LIMIT  # only what a killed relay had in hand
    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for uuid, stream, version in published:
        if uuid not in seen:
            seen.add(uuid)
            first_seen[stream].append(int(version))
    for versions in first_seen.values():  # first deliveries keep each stream's order
        assert versions == sorted(versions)
    abandoned = sum(attempt.outcome == Outcome.ABANDONED for attempt in attempts)
    figures.update(
        kills=kills,
        entries=len(entries),
        publishes=len(published),
        duplicates=duplicates,
        abandoned_attempts=abandoned,
        seconds=round(time.monotonic() - started, 1),
    )
    print(f"\ncrash safety figures: relays {figures}")
