"""The outbox tier of the storage protocol: entries written with events, leased to relays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from event_sourcery.outbox.entries import (
    Attempt,
    EntryStatus,
    Finished,
    Leased,
    OutboxEntry,
    Selection,
)
from event_sourcery.records import RawEvent


class OutboxStorage(Protocol):
    """Entries are created by ``Storage.append`` for events marked ``NewEvent.outbox``, in
    the append's transaction. Relays lease them, deliver, and record what happened.

    Per stream, a relay is only handed an entry when every earlier pending entry of the
    stream is handed over with it: an earlier entry that is waiting for a retry or leased
    to another relay holds the later ones back. Claims are serialised, so two relays never
    lease one entry at the same time.
    """

    def claim(
        self, relay_id: str, now: datetime, until: datetime, limit: int, max_failures: int
    ) -> list[Leased]:
        """Lease up to ``limit`` due pending entries to ``relay_id`` until ``until``, in
        position order, with their events. An entry whose lease ran out is taken over: its
        lost attempt is recorded as abandoned and counted as a failure first; if that makes
        ``max_failures``, the entry is dead instead of leased."""
        ...

    def record(
        self,
        relay_id: str,
        leased_at: datetime,
        finished: Sequence[Finished],
        released: Sequence[int],
    ) -> None:
        """Store finished attempts and their entries' new state (delivered when their
        attempt finished), and hand back ``released`` entries untried. Only entries still
        held by the lease that ``relay_id`` took at ``leased_at`` change: one that ran out
        and was taken over is left to its new holder, and its attempt is not stored twice."""
        ...

    def record_replays(self, finished: Sequence[Finished]) -> None:
        """Store replay attempts of delivered or dead entries and their new state, for the
        entries still as the replay found them (status and attempts)."""
        ...

    def entries(self, selection: Selection) -> list[OutboxEntry]:
        """Entries matching ``selection``, in position order."""
        ...

    def with_events(self, selection: Selection) -> list[tuple[OutboxEntry, RawEvent | None]]:
        """Entries matching ``selection`` with their events (None for a deleted one),
        without leasing them: for replays."""
        ...

    def attempts(self, positions: Sequence[int] | None) -> list[Attempt]:
        """Attempts of the entries at ``positions`` (None: all), by entry then number."""
        ...

    def counts(self) -> dict[EntryStatus, int]:
        """How many entries there are of each status."""
        ...

    def requeue(self, positions: Sequence[int], now: datetime) -> int:
        """Put the dead ones among ``positions`` back to pending, due ``now``, with their
        failure count reset; returns how many moved."""
        ...

    def purge(self, before: datetime, statuses: Sequence[EntryStatus]) -> int:
        """Remove entries of ``statuses`` (and their attempts) that were delivered (or,
        for dead ones, created) before ``before``; returns how many went."""
        ...
