"""The ``writers-N`` workloads: N processes appending at the same time.

Standard library only, like ``_harness`` (which runs it for ``--workload writers-N``).
Every writer is a process of its own (forked from the runner, so it uses the runner's
``open_store``) with its own store and connections, appending to a stream of its own:
``WRITER_APPENDS`` single-event appends expecting versions 0, 1, 2, ..., so writers
never conflict and only the database (locks, WAL, commits) is shared.

Untimed: the runner's process opens a store once and warms it up, which creates the
tables, and closes it before forking; then the writers open their stores and warm up
one at a time (so no library races itself creating tables or functions) and wait at
a barrier. Timed: from the barrier's release to the last writer's last append
returning (``time.monotonic()``, one system-wide clock on Linux: the earliest start
to the latest finish any writer reports). Then, untimed, every writer checks that its
stream holds all its events.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier, Lock
from typing import Any

from _harness import Options, Store, expect, payload, warm_up

WRITER_APPENDS = 1000
"""Single-event appends per writer."""
WAIT_SECONDS = 300.0
"""How long the runner waits for set-up or results before it gives up."""


@dataclass(frozen=True)
class Rendezvous:
    """What the writers share: the start barrier, the set-up turn, the results queue."""

    barrier: Barrier
    setup: Lock
    results: Any


def run_together(
    target: Callable[..., None], args: tuple[Any, ...], count: int, role: str
) -> list[Any]:
    """Fork ``count`` processes running ``target(*args, number, shared)``, which meet at
    ``shared.barrier`` and put their result (or ``("failed", why)``) on ``shared.results``;
    the results, once every process succeeded and exited cleanly."""
    context = multiprocessing.get_context("fork")
    shared = Rendezvous(context.Barrier(count), context.Lock(), context.Queue())
    processes = [
        context.Process(target=target, args=(*args, number, shared)) for number in range(count)
    ]
    for process in processes:
        process.start()
    try:
        results: list[Any] = [shared.results.get(timeout=WAIT_SECONDS) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=WAIT_SECONDS)
            if process.is_alive():
                process.kill()
    failures = [result[1] for result in results if result[0] == "failed"]
    expect(not failures, f"{role}: {failures[:1]}")
    expect(all(p.exitcode == 0 for p in processes), f"{role}: a process exited with an error")
    return results


def writer_count(workload: str) -> int:
    """N of ``writers-N``."""
    return int(workload.rsplit("-", 1)[1])


def measure(open_store: Callable[[Options], Store], options: Options) -> tuple[int, float]:
    """Run the writers; the events they appended and the seconds from start to finish."""
    count = writer_count(options.workload)
    store = open_store(options)  # creates the tables before any writer starts
    try:
        warm_up(store)
    finally:
        store.close()
    spans = run_together(_writer, (open_store, options), count, "writers")
    started = min(start for start, _ in spans)
    finished = max(finish for _, finish in spans)
    return count * WRITER_APPENDS, finished - started


def _writer(
    open_store: Callable[[Options], Store],
    options: Options,
    number: int,
    shared: Rendezvous,
) -> None:
    """One writer process: set up (one at a time), wait for all, append, report its span."""
    try:
        with shared.setup:
            store = open_store(options)
            warm_up(store)
        try:
            stream = uuid.uuid4()
            first = number * WRITER_APPENDS
            shared.barrier.wait(timeout=WAIT_SECONDS)
            started = time.monotonic()
            for version in range(WRITER_APPENDS):
                store.append(stream, version, [payload(first + version, number)])
            finished = time.monotonic()
            found = len(store.load(stream))
            expect(found == WRITER_APPENDS, f"writer {number}: stream holds {found} events")
        finally:
            store.close()
    except BaseException as error:
        shared.barrier.abort()  # the others stop waiting for this one
        shared.results.put(("failed", f"writer {number}: {error!r}"))
        raise
    shared.results.put((started, finished))
