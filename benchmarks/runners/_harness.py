"""The workloads every runner executes, shared as one stdlib-only module.

Each runner script (``ours.py``, ``raw.py``, ``eventsourcing_runner.py``,
``pes_runner.py``) runs in its own virtual environment, so it cannot import from
the repository. Python puts the script's directory first on ``sys.path``, which
lets every runner import this sibling module; it must therefore use the standard
library only.

A runner supplies a :class:`Store` adapter (how *its* library appends and loads),
if its library has aggregates a ``_rebuild.Rebuilder`` for the ``rebuild`` workloads,
and if it can follow the store as it grows a ``_latency.Follower`` for ``latency``, and if
it has an outbox a ``_outbox.Relay`` for the ``outbox-*`` workloads;
:func:`main` parses the command line, warms the adapter up, times one workload and
prints ``{"unit": "events", "count": N, "seconds": S}`` (``"rebuilds"`` for the
rebuild workloads) as a single JSON line on stdout; ``latency`` prints
``{"unit": "ms", "count": N, "p50": P, "p99": Q}``. The ``writers-N`` workloads
(``_writers``) run N processes on the same ``Store`` adapter; the ``outbox-*`` ones
(``_outbox``) print ``{"unit": "entries", "count": N, "seconds": S}``.

What is timed is only the workload loop: building the typed event objects, the
append calls (one transaction each), the load calls or the rebuilds. Process start,
imports, schema creation, the warm-up and writing the stream that ``load`` or a
rebuild reads are not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from _latency import Follower
    from _outbox import Relay
    from _rebuild import Rebuilder

SINGLE_STREAMS = 500
SINGLE_ROUNDS = 4
BATCH_APPENDS = 50
BATCH_SIZE = 100
LOAD_STREAM_EVENTS = 5_000
LOAD_SETUP_BATCH = 500
LOAD_REPEATS = 3

EVENT_WORKLOADS = ("single", "batch", "load")
REBUILD_WORKLOADS = ("rebuild", "rebuild-snap")
WRITER_WORKLOADS = ("writers-1", "writers-4", "writers-8")
LATENCY_WORKLOAD = "latency"
OUTBOX_WORKLOADS = ("outbox-1", "outbox-4", "outbox-rabbitmq")
WORKLOADS = (
    EVENT_WORKLOADS + REBUILD_WORKLOADS + WRITER_WORKLOADS + (LATENCY_WORKLOAD,) + OUTBOX_WORKLOADS
)
BACKENDS = ("sqlite", "postgres")


class Payload(NamedTuple):
    """The fields of one ``Deposited`` event, identical for every implementation."""

    account: str
    amount: int
    note: str


class Store(Protocol):
    """What a runner must provide: its library's way to append and to load."""

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """Build typed events from ``payloads`` and append them in one transaction."""

    def load(self, stream: uuid.UUID) -> Sequence[Any]:
        """Load the stream fully deserialised into the library's event objects."""

    def close(self) -> None:
        """Release connections; called once, after timing."""


@dataclass(frozen=True)
class Options:
    """The runner command line: where to write and which workload to time; for
    ``outbox-rabbitmq`` also the broker and the fresh exchange to publish to."""

    backend: str
    url: str
    workload: str
    schema: str | None
    amqp_url: str | None = None
    exchange: str | None = None

    @property
    def snapshots(self) -> bool:
        """Whether the workload rebuilds from snapshots (``rebuild-snap``)."""
        return self.workload == "rebuild-snap"

    @property
    def sqlite_path(self) -> str:
        """The file path of a ``sqlite:///...`` URL."""
        return self.url.split(":///", 1)[1]

    @property
    def libpq_url(self) -> str:
        """The PostgreSQL URL without a SQLAlchemy ``+driver`` suffix."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme.split('+', 1)[0]}://{rest}"

    @property
    def pg_parts(self) -> dict[str, str]:
        """Host, port, user, password and database name of the PostgreSQL URL."""
        parts = urlsplit(self.libpq_url)
        return {
            "host": parts.hostname or "localhost",
            "port": str(parts.port or 5432),
            "user": parts.username or "postgres",
            "password": parts.password or "",
            "dbname": parts.path.lstrip("/") or "postgres",
        }


def payload(index: int, account: int) -> Payload:
    """The ``index``-th event of the run, with a 40-character note."""
    return Payload(f"acc-{account:04d}", index, f"monthly salary transfer, ref {index:011d}")


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read ``--backend``, ``--url``, ``--workload`` and the optional ``--schema``,
    ``--amqp-url`` and ``--exchange``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, required=True)
    parser.add_argument("--url", required=True, help="sqlite:////path/file.db or PG URL")
    parser.add_argument("--workload", choices=WORKLOADS, required=True)
    parser.add_argument("--schema", help="PostgreSQL schema to use (created beforehand)")
    parser.add_argument("--amqp-url", help="RabbitMQ URL (outbox-rabbitmq)")
    parser.add_argument("--exchange", help="exchange to publish to (declared beforehand)")
    ns = parser.parse_args(argv)
    return Options(ns.backend, ns.url, ns.workload, ns.schema, ns.amqp_url, ns.exchange)


def warm_up(store: Store) -> None:
    """Exercise both append paths and a load once, untimed, on a throw-away stream.

    This opens connections and fills statement/compilation caches the same way
    for every implementation, so the timed loop measures steady state.
    """
    stream = uuid.uuid4()
    store.append(stream, 0, [payload(0, 9999)])
    store.append(stream, 1, [payload(1, 9999)])
    expect(len(store.load(stream)) == 2, "warm-up stream should hold 2 events")


def run_single(store: Store) -> tuple[int, float]:
    """500 streams x 4 rounds of one-event appends, each expecting version r."""
    streams = [uuid.uuid4() for _ in range(SINGLE_STREAMS)]
    index = 0
    started = time.perf_counter()
    for expected in range(SINGLE_ROUNDS):
        for number, stream in enumerate(streams):
            store.append(stream, expected, [payload(index, number)])
            index += 1
    seconds = time.perf_counter() - started
    expect(len(store.load(streams[-1])) == SINGLE_ROUNDS, "single: stream length")
    return index, seconds


def run_batch(store: Store) -> tuple[int, float]:
    """50 new streams, each written by one append of 100 events."""
    streams = [uuid.uuid4() for _ in range(BATCH_APPENDS)]
    started = time.perf_counter()
    for number, stream in enumerate(streams):
        first = number * BATCH_SIZE
        store.append(stream, 0, [payload(first + i, number) for i in range(BATCH_SIZE)])
    seconds = time.perf_counter() - started
    expect(len(store.load(streams[-1])) == BATCH_SIZE, "batch: stream length")
    return BATCH_APPENDS * BATCH_SIZE, seconds


def run_load(store: Store) -> tuple[int, float]:
    """Write one 5,000-event stream (untimed), then time loading it 3 times."""
    stream = uuid.uuid4()
    for start in range(0, LOAD_STREAM_EVENTS, LOAD_SETUP_BATCH):
        chunk = [payload(start + i, 0) for i in range(LOAD_SETUP_BATCH)]
        store.append(stream, start, chunk)
    loaded: list[Sequence[Any]] = []
    started = time.perf_counter()
    for _ in range(LOAD_REPEATS):
        loaded.append(store.load(stream))
    seconds = time.perf_counter() - started
    for events in loaded:
        expect(len(events) == LOAD_STREAM_EVENTS, "load: stream length")
        last = events[-1]
        expect(type(last).__name__ == "Deposited", f"load: got {type(last)!r}")
        expect(last.amount == LOAD_STREAM_EVENTS - 1, "load: last event's amount")
    return LOAD_STREAM_EVENTS * LOAD_REPEATS, seconds


WORKLOAD_RUNS: dict[str, Callable[[Store], tuple[int, float]]] = {
    "single": run_single,
    "batch": run_batch,
    "load": run_load,
}


def main(
    open_store: Callable[[Options], Store],
    open_rebuilder: Callable[[Options], Rebuilder] | None = None,
    argv: Sequence[str] | None = None,
    *,
    open_follower: Callable[[Options], Follower] | None = None,
    open_relay: Callable[[Options], Relay] | None = None,
) -> None:
    """Run one workload against the adapter the runner opens; print the JSON line.

    Without ``open_rebuilder`` the rebuild workloads fail, without ``open_follower``
    the latency one, without ``open_relay`` the outbox ones (the orchestrator shows
    them as n/a and does not run them)."""
    options = parse_options(argv)
    adapters = (open_store, open_rebuilder, open_follower, open_relay)
    json.dump(_measure(options, *adapters), sys.stdout)
    sys.stdout.write("\n")


def _measure(
    options: Options,
    open_store: Callable[[Options], Store],
    open_rebuilder: Callable[[Options], Rebuilder] | None,
    open_follower: Callable[[Options], Follower] | None,
    open_relay: Callable[[Options], Relay] | None,
) -> dict[str, str | int | float]:
    """The result line of the chosen workload."""
    workload = options.workload
    if workload in OUTBOX_WORKLOADS:
        if open_relay is None:
            raise SystemExit(f"{workload}: this runner has no outbox")
        import _outbox

        count, seconds = _outbox.measure(open_relay, options)
        return {"unit": "entries", "count": count, "seconds": seconds}
    if workload in REBUILD_WORKLOADS:
        if open_rebuilder is None:
            raise SystemExit(f"{workload}: this runner has no aggregates to rebuild")
        import _rebuild  # here, not on top: _rebuild imports this module

        count, seconds = _rebuild.measure(open_rebuilder(options), options)
        return {"unit": "rebuilds", "count": count, "seconds": seconds}
    if workload == LATENCY_WORKLOAD:
        if open_follower is None:
            raise SystemExit(f"{workload}: this runner has no subscription to follow")
        import _latency

        count, p50, p99 = _latency.measure(open_store, open_follower, options)
        return {"unit": "ms", "count": count, "p50": p50, "p99": p99}
    if workload in WRITER_WORKLOADS:
        import _writers

        count, seconds = _writers.measure(open_store, options)
        return {"unit": "events", "count": count, "seconds": seconds}
    store = open_store(options)
    try:
        warm_up(store)
        count, seconds = WORKLOAD_RUNS[workload](store)
    finally:
        store.close()
    return {"unit": "events", "count": count, "seconds": seconds}


def expect(condition: bool, message: str) -> None:
    """Fail the run loudly if a sanity check on the written/loaded data fails."""
    if not condition:
        raise SystemExit(f"benchmark sanity check failed: {message}")
