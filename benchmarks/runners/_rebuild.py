"""The rebuild workloads: one aggregate rebuilt from a 10,000-event stream.

Standard library only, like ``_harness`` (which runs it for ``--workload rebuild``
and ``rebuild-snap``). A runner whose library has aggregates supplies a
:class:`Rebuilder`: an ``Account`` whose events are the harness's ``Deposited``
payloads and whose whole logic is ``balance += amount; count += 1``, saved and
rebuilt through the library's own repository.

Set-up, untimed: 100 saves of 100 events (payloads 0..9,999 of account 0) to one
stream; with ``rebuild-snap`` the library snapshots every 100 versions on its own,
so the stream ends with 100 snapshots, the latest at version 10,000. Timed: whole
rebuilds, at least ``MIN_REBUILDS`` of them and at least ``MIN_SECONDS`` long. Then,
untimed, every rebuilt aggregate must hold the full balance and count, the stored
snapshots must be exactly at versions 100, 200, ..., 10,000 (none without), and the
repository must start a rebuild from the one at 10,000 (from nothing without).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from _harness import Options, Payload, expect, payload

STREAM_EVENTS = 10_000
SAVE_SIZE = 100
SNAPSHOT_EVERY = 100
MIN_REBUILDS = {"rebuild": 5, "rebuild-snap": 200}
MIN_SECONDS = 0.5
BALANCE = sum(range(STREAM_EVENTS))


class Rebuilder(Protocol):
    """What a runner provides for the rebuild workloads (snapshots on or off is fixed
    when it is opened, from ``Options.snapshots``)."""

    def save(self, stream: uuid.UUID, version: int, payloads: Sequence[Payload]) -> None:
        """Deposit ``payloads`` into the stream's account, which is at ``version``
        (0: new), and save them in one append through the library's repository."""

    def rebuild(self, stream: uuid.UUID) -> Any:
        """The account rebuilt from the store: an object with ``balance`` and ``count``."""

    def snapshot_versions(self, stream: uuid.UUID) -> list[int]:
        """The versions of the stream's stored snapshots, ascending ([] without)."""

    def rebuild_start(self, stream: uuid.UUID) -> int:
        """The version of the snapshot a rebuild starts from, looked up the way the
        library's repository does (0: it replays from the first event)."""

    def close(self) -> None:
        """Release connections; called once, after timing."""


def measure(rebuilder: Rebuilder, options: Options) -> tuple[int, float]:
    """Warm up, write the stream, time the rebuilds, check them; close the rebuilder."""
    try:
        warm_up(rebuilder)
        stream = uuid.uuid4()
        write_stream(rebuilder, stream)
        rebuilt, seconds = time_rebuilds(rebuilder, stream, MIN_REBUILDS[options.workload])
        check(rebuilder, stream, rebuilt, options.snapshots)
    finally:
        rebuilder.close()
    return len(rebuilt), seconds


def warm_up(rebuilder: Rebuilder) -> None:
    """One save of 100 events and one rebuild on a throw-away stream (with snapshots
    on, the save also takes the first snapshot and the rebuild starts from it)."""
    stream = uuid.uuid4()
    rebuilder.save(stream, 0, [payload(i, 9999) for i in range(SAVE_SIZE)])
    account = rebuilder.rebuild(stream)
    expect(account.count == SAVE_SIZE, f"rebuild warm-up: count {account.count}")


def write_stream(rebuilder: Rebuilder, stream: uuid.UUID) -> None:
    """100 saves of 100 events: payloads 0..9,999 of account 0."""
    for start in range(0, STREAM_EVENTS, SAVE_SIZE):
        rebuilder.save(stream, start, [payload(start + i, 0) for i in range(SAVE_SIZE)])


def time_rebuilds(rebuilder: Rebuilder, stream: uuid.UUID, minimum: int) -> tuple[list[Any], float]:
    """Rebuild until at least ``minimum`` rebuilds and ``MIN_SECONDS`` have passed."""
    rebuilt: list[Any] = []
    clock = time.perf_counter
    started = clock()
    while True:
        rebuilt.append(rebuilder.rebuild(stream))
        if len(rebuilt) >= minimum and clock() - started >= MIN_SECONDS:
            break
    return rebuilt, clock() - started


def check(rebuilder: Rebuilder, stream: uuid.UUID, rebuilt: list[Any], snapshots: bool) -> None:
    """Every rebuild holds the whole stream's state; snapshots are where they belong."""
    for account in rebuilt:
        expect(account.balance == BALANCE, f"rebuild: balance {account.balance}")
        expect(account.count == STREAM_EVENTS, f"rebuild: count {account.count}")
    wanted = list(range(SNAPSHOT_EVERY, STREAM_EVENTS + 1, SNAPSHOT_EVERY)) if snapshots else []
    found = rebuilder.snapshot_versions(stream)
    expect(found == wanted, f"rebuild: snapshots at {found[:3]}... ({len(found)} of them)")
    start = rebuilder.rebuild_start(stream)
    expect(start == (STREAM_EVENTS if snapshots else 0), f"rebuild: starts from {start}")
