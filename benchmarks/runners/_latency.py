"""The ``latency`` workload: from an append returning to a subscriber holding the event.

Standard library only, like ``_harness`` (which runs it for ``--workload latency``). A
runner whose library can follow the store as it grows supplies a :class:`Follower`.

Two processes: the runner's own appends, a forked one subscribes. Untimed set-up: the
runner opens its store and warms it up (which creates the tables), then starts the
subscriber, which opens the follower at the store's current end and says it is ready.
Then the runner appends ``WARM_UP_EVENTS`` and ``EVENTS`` single events to one stream
(expected versions 0, 1, 2, ...; ``amount`` = ``FIRST_AMOUNT`` + version, which sets
them apart from the warm-up's events: the subscriber ignores any other event, since the
position it starts from may lag behind those), one every ``INTERVAL`` seconds on a
fixed schedule, noting when each ``append`` returned. The subscriber notes when
each event reached it: the moment the batch (or, for one-at-a-time iterators, the
event) holding it was handed over, decoded. Both use ``time.monotonic()``, one
system-wide clock on Linux. The latency of an event is its arrival minus its append's
return; the result is the median and the 99th percentile, in milliseconds, over the
``EVENTS`` after the warm-up ones. Every event must arrive exactly once.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Event
from typing import Any, Protocol

from _harness import Options, Store, expect, payload, warm_up

EVENTS = 300
"""Events whose latency counts."""
WARM_UP_EVENTS = 20
"""Events appended first, whose latency does not count (caches, first wake-ups)."""
INTERVAL = 0.005
"""Seconds between appends: 200 a second."""
FIRST_AMOUNT = 1_000_000
"""The ``amount`` of the first event appended, version 0."""
SQLITE_POLL_INTERVAL = 0.05
"""How often a follower on SQLite, which cannot be woken, looks for new events."""
WAIT_SECONDS = 60.0
"""How long either side waits for the other before the run fails."""


class Follower(Protocol):
    """A subscription opened at the store's end (when the follower is opened)."""

    def batches(self) -> Iterator[list[int]]:
        """The ``amount`` of every event appended since, one list per delivery, each
        as soon as the library hands it over (blocking in between)."""

    def close(self) -> None:
        """Stop following and release connections."""


def measure(
    open_store: Callable[[Options], Store],
    open_follower: Callable[[Options], Follower],
    options: Options,
) -> tuple[int, float, float]:
    """Append on a schedule while the follower receives; events, p50 and p99 in ms."""
    store = open_store(options)
    try:
        warm_up(store)
        context = multiprocessing.get_context("fork")
        ready, results = context.Event(), context.Queue()
        subscriber = context.Process(
            target=_subscribe, args=(open_follower, options, ready, results)
        )
        subscriber.start()
        try:
            expect(ready.wait(WAIT_SECONDS), "latency: the subscriber never got ready")
            returned = _append_on_schedule(store)
            arrived: dict[int, float] | None = results.get(timeout=WAIT_SECONDS)
        finally:
            subscriber.join(timeout=WAIT_SECONDS)
            if subscriber.is_alive():
                subscriber.kill()
    finally:
        store.close()
    expect(arrived is not None and subscriber.exitcode == 0, "latency: the subscriber failed")
    assert arrived is not None
    expect(sorted(arrived) == sorted(returned), "latency: events missing or extra")
    counted = [
        (arrived[amount] - at) * 1000
        for amount, at in returned.items()
        if amount >= FIRST_AMOUNT + WARM_UP_EVENTS
    ]
    p99 = statistics.quantiles(counted, n=100, method="inclusive")[98]
    return len(counted), statistics.median(counted), p99


def _append_on_schedule(store: Store) -> dict[int, float]:
    """Append every event at its turn; when each ``append`` returned, by amount."""
    stream = uuid.uuid4()
    returned: dict[int, float] = {}
    started = time.monotonic()
    for version in range(WARM_UP_EVENTS + EVENTS):
        delay = started + version * INTERVAL - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        store.append(stream, version, [payload(FIRST_AMOUNT + version, 0)])
        returned[FIRST_AMOUNT + version] = time.monotonic()
    return returned


def _subscribe(
    open_follower: Callable[[Options], Follower], options: Options, ready: Event, results: Any
) -> None:
    """The subscriber process: note when each event arrives until all of them have."""
    arrived: dict[int, float] = {}
    wanted = range(FIRST_AMOUNT, FIRST_AMOUNT + WARM_UP_EVENTS + EVENTS)
    try:
        follower = open_follower(options)
        try:
            ready.set()
            for amounts in follower.batches():
                now = time.monotonic()
                for amount in filter(wanted.__contains__, amounts):
                    expect(amount not in arrived, f"latency: event {amount} arrived twice")
                    arrived[amount] = now
                if len(arrived) == len(wanted):
                    break
        finally:
            follower.close()
    except BaseException:
        results.put(None)  # the runner stops waiting at once
        ready.set()
        raise
    results.put(arrived)
