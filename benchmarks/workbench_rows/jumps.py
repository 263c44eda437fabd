"""The time-travel row: ``Timeline.at(v)`` for random versions of one long stream
against replaying the stream from its start for each of them."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from itertools import islice
from typing import Any

from benchmarks.workbench_rows.fixtures import ACCOUNT_STREAM
from benchmarks.workbench_rows.model import Account
from event_sourcery import Event, EventStore
from workbench import Workbench


def measure(store: EventStore, jumps: int, replays: int, seed: int) -> dict[str, Any]:
    """Seconds to make the timeline (load and decode), to build its checkpoints (the
    first ``at``), for ``jumps`` jumps, and for full replays of the first ``replays`` of
    the same versions; then, untimed, whether both gave the same states."""
    started = time.perf_counter()
    timeline = Workbench(store).timeline(ACCOUNT_STREAM, Account)
    loaded = time.perf_counter()
    timeline.at(0)
    built = time.perf_counter()
    draw = random.Random(seed)
    versions = [draw.randint(1, timeline.last_version) for _ in range(jumps)]
    started_jumps = time.perf_counter()
    states = [timeline.at(version) for version in versions]
    jumped = time.perf_counter()
    events = [recorded.event for recorded in store.load_stream(ACCOUNT_STREAM, snapshots=False)]
    chosen = versions[:replays]
    started_replays = time.perf_counter()
    rebuilt = [replay(events, version) for version in chosen]
    replayed = time.perf_counter()
    wrong = [
        version
        for version, account, state in zip(chosen, rebuilt, states, strict=False)
        if state_of(account) != state
    ]
    return {
        "events": timeline.last_version,
        "load_seconds": loaded - started,
        "build_seconds": built - loaded,
        "jumps": len(versions),
        "jump_seconds": jumped - started_jumps,
        "replays": len(chosen),
        "replay_seconds": replayed - started_replays,
        "mean_version": sum(chosen) / len(chosen),
        "mismatched": wrong[:5],
    }


def replay(events: Sequence[Event], version: int) -> Account:
    """What one does without checkpoints: a fresh aggregate, events 1..version applied."""
    account = Account()
    for event in islice(events, version):
        account.__apply__(event)
    return account


def state_of(account: Account) -> dict[str, Any]:
    """The account as ``Timeline.at`` shows it."""
    return {"balance": account.balance, "count": account.count, "channels": account.channels}
