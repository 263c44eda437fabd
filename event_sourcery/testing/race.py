"""Real races: many writers append to one stream with the same expected version."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier as ProcessBarrier
from typing import Any
from uuid import UUID, uuid4

from event_sourcery.connect import connect
from event_sourcery.errors import ConcurrentStreamWriteError
from event_sourcery.event_store import EventStore
from event_sourcery.testing.events import Deposited

WIN, CONFLICT = "win", "conflict"
_BARRIER_TIMEOUT = 60.0


@dataclass
class RaceResult:
    """What each writer got in each round: ``outcomes[round]`` counts wins and conflicts."""

    outcomes: dict[int, Counter[str]] = field(default_factory=dict)

    def record(self, round_: int, outcome: str) -> None:
        self.outcomes.setdefault(round_, Counter())[outcome] += 1


def _contend(
    store: EventStore, stream: UUID, rounds: int, wait: Callable[[], Any]
) -> list[tuple[int, str]]:
    outcomes = []
    for round_ in range(rounds):
        try:
            wait()
            store.append(Deposited(amount=round_), stream_id=stream, expected_version=round_)
            outcomes.append((round_, WIN))
        except ConcurrentStreamWriteError:
            outcomes.append((round_, CONFLICT))
        except Exception as error:  # reported, so that the race test names it
            outcomes.append((round_, f"{type(error).__name__}: {error}"))
    return outcomes


def race_threads(
    store: EventStore, stream: UUID, writers: int = 8, rounds: int = 100
) -> RaceResult:
    """``writers`` threads sharing ``store``, all appending at the same expected version."""
    barrier = threading.Barrier(writers, timeout=_BARRIER_TIMEOUT)
    result = RaceResult()
    lock = threading.Lock()

    def writer() -> None:
        outcomes = _contend(store, stream, rounds, barrier.wait)
        with lock:
            for round_, outcome in outcomes:
                result.record(round_, outcome)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def _process_writer(
    url: str, stream: UUID, rounds: int, barrier: ProcessBarrier, queue: Any
) -> None:
    store = connect(url, create_tables=False)
    queue.put(_contend(store, stream, rounds, lambda: barrier.wait(_BARRIER_TIMEOUT)))


def race_processes(url: str, stream: UUID, writers: int = 8, rounds: int = 100) -> RaceResult:
    """``writers`` processes, each with its own ``connect(url)``, racing as above."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    queue = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(url, stream, rounds, barrier, queue))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    result = RaceResult()
    for _ in processes:
        for round_, outcome in queue.get(timeout=_BARRIER_TIMEOUT * 5):
            result.record(round_, outcome)
    for process in processes:
        process.join()
    return result


def _spread_writer(url: str, events: int, barrier: ProcessBarrier) -> None:
    store = connect(url, create_tables=False)
    barrier.wait(_BARRIER_TIMEOUT)
    written, size = 0, 1
    while written < events:
        batch = min(size, events - written)
        store.append(*[Deposited(amount=written + n) for n in range(batch)], stream_id=uuid4())
        written += batch
        size = size % 3 + 1  # appends of 1, 2 and 3 events in turn
    store.close()


def append_from_processes(url: str, writers: int, events_each: int) -> list[int | None]:
    """Run ``writers`` processes that append ``events_each`` events each, in appends of
    one to three events to streams of their own, all at once; their exit codes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    processes = [
        context.Process(target=_spread_writer, args=(url, events_each, barrier))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=_BARRIER_TIMEOUT * 5)
    return [process.exitcode for process in processes]
