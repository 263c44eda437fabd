"""The in-memory backend's outbox: entries and attempts in dicts under the storage's lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from event_sourcery.outbox.entries import (
    ABANDONED_MESSAGE,
    Attempt,
    EntryStatus,
    Finished,
    Leased,
    OutboxEntry,
    Selection,
)
from event_sourcery.records import RawEvent
from event_sourcery.streams import StreamId


class InMemoryOutbox:
    """Same contract as the SQL outbox; ``event_at`` finds a stored event by position."""

    def __init__(self, lock: threading.RLock, event_at: Callable[[int], RawEvent | None]) -> None:
        self._lock = lock
        self._event_at = event_at
        self._entries: dict[int, OutboxEntry] = {}
        self._attempts: dict[int, list[Attempt]] = {}

    def add(self, stored: Iterable[RawEvent], now: datetime) -> None:
        """New pending entries for events just stored (the caller holds the lock)."""
        for raw in stored:
            self._entries[raw.position] = OutboxEntry(
                position=raw.position,
                event_uuid=raw.uuid,
                stream_id=StreamId(raw.stream_id.uuid, category=raw.stream_id.category),
                version=raw.version,
                type=raw.type,
                status=EntryStatus.PENDING,
                attempts=0,
                failures=0,
                created_at=now,
                next_attempt_at=now,
                delivered_at=None,
                last_error=None,
                leased_by=None,
                leased_at=None,
                leased_until=None,
            )
            self._attempts[raw.position] = []

    def claim(
        self, relay_id: str, now: datetime, until: datetime, limit: int, max_failures: int
    ) -> list[Leased]:
        with self._lock:
            held: set[tuple[object, str]] = set()
            chosen: list[OutboxEntry] = []
            pending = (e for e in self._entries.values() if e.status is EntryStatus.PENDING)
            for entry in sorted(pending, key=_position_of):
                key = (entry.stream_id.uuid, entry.stream_id.category or "")
                if key in held:
                    continue
                waiting = entry.next_attempt_at is not None and entry.next_attempt_at > now
                if waiting or (entry.leased_until is not None and entry.leased_until > now):
                    held.add(key)
                    continue
                chosen.append(entry)
                if len(chosen) >= limit:
                    break
            leased = []
            for due in chosen:
                lost = due.leased_by is not None
                current = self._abandon(due, now) if lost else due
                if lost and current.failures >= max_failures:  # its last attempt was lost
                    self._entries[due.position] = replace(
                        current, status=EntryStatus.DEAD, next_attempt_at=None
                    )
                    continue
                entry = replace(current, leased_by=relay_id, leased_at=now, leased_until=until)
                self._entries[entry.position] = entry
                leased.append(Leased.of(entry, self._event_at(entry.position)))
            return leased

    def _abandon(self, entry: OutboxEntry, now: datetime) -> OutboxEntry:
        """Record the attempt of a relay whose lease ran out as abandoned."""
        attempt = Attempt.abandoned(entry, now)
        self._attempts[entry.position].append(attempt)
        return replace(
            entry,
            attempts=attempt.number,
            failures=entry.failures + 1,
            last_error=ABANDONED_MESSAGE,
            leased_by=None,
            leased_at=None,
            leased_until=None,
        )

    def record(
        self,
        relay_id: str,
        leased_at: datetime,
        finished: Sequence[Finished],
        released: Sequence[int],
    ) -> None:
        def held(entry: OutboxEntry | None) -> bool:
            return entry is not None and (entry.leased_by, entry.leased_at) == (relay_id, leased_at)

        with self._lock:
            for done in finished:
                entry = self._entries.get(done.attempt.position)
                if entry is not None and held(entry):
                    self._finish(entry, done)
            for position in released:
                entry = self._entries.get(position)
                if entry is not None and held(entry):
                    self._entries[position] = replace(
                        entry, leased_by=None, leased_at=None, leased_until=None
                    )

    def record_replays(self, finished: Sequence[Finished]) -> None:
        with self._lock:
            for done in finished:
                entry = self._entries.get(done.attempt.position)
                unchanged = (entry.status, entry.attempts) if entry is not None else None
                if unchanged == (done.previous, done.attempt.number - 1):
                    assert entry is not None
                    self._finish(entry, done)

    def _finish(self, entry: OutboxEntry, done: Finished) -> None:
        attempt = done.attempt
        self._attempts[entry.position].append(attempt)
        first_delivery = done.status is EntryStatus.DELIVERED and entry.delivered_at is None
        self._entries[entry.position] = replace(
            entry,
            status=done.status,
            attempts=attempt.number,
            failures=done.failures,
            next_attempt_at=done.next_attempt_at,
            delivered_at=attempt.finished_at if first_delivery else entry.delivered_at,
            last_error=done.last_error,
            leased_by=None,
            leased_at=None,
            leased_until=None,
        )

    def entries(self, selection: Selection) -> list[OutboxEntry]:
        with self._lock:
            found = [e for e in self._entries.values() if _selected(e, selection)]
            if selection.stream is not None:  # as on SQL: through the stream's events
                found = [e for e in found if self._event_at(e.position) is not None]
        found.sort(key=_position_of)
        return found if selection.limit is None else found[: selection.limit]

    def with_events(self, selection: Selection) -> list[tuple[OutboxEntry, RawEvent | None]]:
        entries = self.entries(selection)
        with self._lock:
            return [(e, self._event_at(e.position)) for e in entries]

    def attempts(self, positions: Sequence[int] | None) -> list[Attempt]:
        with self._lock:
            wanted = sorted(self._attempts) if positions is None else sorted(set(positions))
            return [a for p in wanted for a in self._attempts.get(p, [])]

    def counts(self) -> dict[EntryStatus, int]:
        with self._lock:
            counts = dict.fromkeys(EntryStatus, 0)
            for entry in self._entries.values():
                counts[entry.status] += 1
            return counts

    def requeue(self, positions: Sequence[int], now: datetime) -> int:
        moved = 0
        with self._lock:
            for position in set(positions):
                entry = self._entries.get(position)
                if entry is not None and entry.status is EntryStatus.DEAD:
                    self._entries[position] = replace(
                        entry, status=EntryStatus.PENDING, failures=0, next_attempt_at=now
                    )
                    moved += 1
        return moved

    def purge(self, before: datetime, statuses: Sequence[EntryStatus]) -> int:
        with self._lock:
            gone = [e.position for e in self._entries.values() if _purgeable(e, before, statuses)]
            for position in gone:
                del self._entries[position]
                del self._attempts[position]
            return len(gone)


def _position_of(entry: OutboxEntry) -> int:
    return entry.position


def _selected(entry: OutboxEntry, selection: Selection) -> bool:
    stream = selection.stream
    if isinstance(stream, StreamId):
        if (entry.stream_id.uuid, entry.stream_id.category) != (stream.uuid, stream.category):
            return False
    elif stream is not None and entry.stream_id.uuid != stream:
        return False
    return (
        (selection.status is None or entry.status is selection.status)
        and (selection.types is None or entry.type in selection.types)
        and (selection.since is None or entry.created_at >= selection.since)
        and (selection.until is None or entry.created_at < selection.until)
        and (selection.positions is None or entry.position in selection.positions)
    )


def _purgeable(entry: OutboxEntry, before: datetime, statuses: Sequence[EntryStatus]) -> bool:
    if entry.status not in statuses:
        return False
    if entry.status is EntryStatus.DELIVERED:
        return entry.delivered_at is not None and entry.delivered_at < before
    return entry.status is EntryStatus.DEAD and entry.created_at < before
