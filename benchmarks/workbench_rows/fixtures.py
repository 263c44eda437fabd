"""The stores the workbench rows read, written once through the library (untimed) and
kept under ``.bench/workbench/``, named by their size and ``FORMAT``, so that reruns
reuse them. Raise ``FORMAT`` whenever ``model.py`` or the layout below changes."""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from benchmarks.workbench_rows.model import account_event, billing_event, customer
from event_sourcery import Context, StreamId, connect

FORMAT = 1
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench" / "workbench"
BATCH = 100
"""Events per append."""
ROUNDS = 4
"""Appends per stream in the events store: every stream gets one batch per round, so
the streams' events interleave in position order."""
CATEGORIES = ("customers", "invoices", "subscriptions", "payments")
SEED = 20_240_601
ACCOUNT_STREAM = StreamId(name="account-main", category="accounts")


def events_store(events: int) -> tuple[Path, float | None]:
    """The store of ``events`` billing events (a multiple of ``BATCH``) and how long
    building it took (None: reused)."""
    return _cached(f"events-{events}", lambda url: _fill_events(url, events))


def account_store(events: int) -> tuple[Path, float | None]:
    """The store holding ``ACCOUNT_STREAM`` with ``events`` events, and its build time."""
    return _cached(f"account-{events}", lambda url: _fill_account(url, events))


def stream_count(events: int) -> int:
    """How many streams the events store spreads ``events`` over."""
    return max(1, events // BATCH // ROUNDS)


def _cached(name: str, fill: Callable[[str], None]) -> tuple[Path, float | None]:
    path = CACHE / f"{name}-v{FORMAT}.db"
    if path.exists():
        return path, None
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"building {path.relative_to(ROOT)} (once; reused afterwards)", file=sys.stderr)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(dir=CACHE, prefix=".building-"))
    try:
        building = work / "events.db"
        fill(f"sqlite:///{building}")
        if building.with_name("events.db-wal").exists():
            raise RuntimeError(f"{building} kept its WAL file after closing")
        os.replace(building, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path, time.perf_counter() - started


def _fill_events(url: str, events: int) -> None:
    if events < BATCH or events % BATCH:
        raise ValueError(f"--events {events}: use a multiple of {BATCH}")
    rng = random.Random(SEED)
    streams = stream_count(events)
    customers = [customer(rng, number) for number in range(streams)]
    ids = [
        StreamId(name=f"{CATEGORIES[n % 4]}-{n:05d}", category=CATEGORIES[n % 4])
        for n in range(streams)
    ]
    with connect(url, sqlite_synchronous="NORMAL") as store:
        for append in range(events // BATCH):
            n = append % streams
            batch = [billing_event(rng, customers[n], append * BATCH + k) for k in range(BATCH)]
            # Every other append carries a correlation id, as a conversation would.
            context = None
            if append % 2 == 0:
                context = Context(correlation_id=UUID(int=rng.getrandbits(128), version=4))
            version = (append // streams) * BATCH
            store.append(*batch, stream_id=ids[n], expected_version=version, context=context)


def _fill_account(url: str, events: int) -> None:
    if events < BATCH or events % BATCH:
        raise ValueError(f"--stream-events {events}: use a multiple of {BATCH}")
    rng = random.Random(SEED + 1)
    with connect(url, sqlite_synchronous="NORMAL") as store:
        for append in range(events // BATCH):
            batch = [account_event(rng) for _ in range(BATCH)]
            store.append(*batch, stream_id=ACCOUNT_STREAM, expected_version=append * BATCH)
