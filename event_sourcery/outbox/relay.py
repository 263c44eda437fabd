"""OutboxRelay: leases due entries, hands their events to a publisher, records every attempt."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from uuid import uuid4

from sqlalchemy.exc import DBAPIError

from event_sourcery.errors import (
    EventGone,
    EventStoreError,
    InvalidOutboxSetting,
    StoreBusy,
    StoreUnavailable,
)
from event_sourcery.event import Event
from event_sourcery.outbox.entries import (
    Attempt,
    EntryStatus,
    Finished,
    Leased,
    Outcome,
)
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.records import Recorded
from event_sourcery.registry import EventRegistry
from event_sourcery.serde import decode_all
from event_sourcery.storage.outbox import OutboxStorage
from event_sourcery.storage.reading import Waiter
from event_sourcery.subscriptions.retrying import Outage
from event_sourcery.versioning import is_whole

Publisher = Callable[[Recorded[Event]], object]
"""Anything that takes a recorded event and hands it on; raising means "not delivered"."""
Clock = Callable[[], datetime]

log = logging.getLogger("event_sourcery.outbox")
_ERROR_LIMIT = 2000
_DATABASE_ERRORS = (DBAPIError, StoreUnavailable, StoreBusy)


@dataclass(frozen=True, slots=True)
class RelayReport:
    """What one or more batches did: entries leased, delivered, failed (to be retried),
    dead, and held (leased but not tried: an earlier entry of their stream failed)."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0

    def __str__(self) -> str:
        return (
            f"{self.delivered} delivered, {self.failed} failed, {self.dead} dead, "
            f"{self.held} held back (of {self.claimed} claimed)"
        )

    def __add__(self, other: RelayReport) -> RelayReport:
        return RelayReport(
            self.claimed + other.claimed,
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.dead + other.dead,
            self.held + other.held,
        )


class OutboxRelay:
    """Delivers due entries in position order; per stream, an entry that fails holds the
    later ones back until it is delivered or dead. Delivery is at least once: a relay that
    dies between publishing and recording leaves its lease to run out, and the entry is
    published again."""

    def __init__(
        self,
        storage: OutboxStorage,
        registry: EventRegistry,
        *,
        clock: Clock,
        retry: RetryPolicy,
        lease: float,
        relay_id: str | None = None,
    ) -> None:
        if not isinstance(lease, int | float) or not lease > 0:
            raise InvalidOutboxSetting("lease", f"{lease!r} is not a number of seconds > 0")
        probe = clock()
        if not isinstance(probe, datetime) or probe.utcoffset() is None:
            raise InvalidOutboxSetting("clock", f"it gave {probe!r}, not an aware datetime")
        self.storage = storage
        self.registry = registry
        self.clock = clock
        self.retry = retry
        self.lease = timedelta(seconds=lease)
        self.relay_id = relay_id or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"

    def run_once(self, publisher: Publisher, limit: int = 100) -> RelayReport:
        """Deliver one batch of at most ``limit`` due entries."""
        if not is_whole(limit, 1):
            raise InvalidOutboxSetting("limit", f"{limit!r} is not a whole number >= 1")
        now = self.clock()
        until = now + self.lease
        batch = self.storage.claim(self.relay_id, now, until, limit, self.retry.max_attempts)
        finished: list[Finished] = []
        released: list[int] = []
        failing: set[Hashable] = set()
        try:
            records = self._decoded(batch)
            for leased in batch:
                started = self.clock()
                # Another relay may take over once the lease runs out: stop publishing.
                if leased.stream in failing or started >= until:
                    released.append(leased.position)
                    continue
                done = self._attempt(leased, records.get(leased.position), publisher, started)
                finished.append(done)
                if done.status is EntryStatus.PENDING:
                    failing.add(leased.stream)
        except BaseException:
            tried = {done.attempt.position for done in finished}
            released += [b.position for b in batch if b.position not in tried]
            raise
        finally:
            self.storage.record(self.relay_id, now, finished, released)
        outcomes = [done.attempt.outcome for done in finished]
        return RelayReport(
            claimed=len(batch),
            delivered=outcomes.count(Outcome.DELIVERED),
            failed=outcomes.count(Outcome.FAILED),
            dead=outcomes.count(Outcome.DEAD),
            held=len(released),
        )

    def _decoded(self, batch: list[Leased]) -> dict[int, Recorded[Event]]:
        """The batch's events decoded in one go, by position; if one cannot be, none are
        (each entry is then decoded alone, and the one that fails says why)."""
        raws = [leased.event for leased in batch if leased.event is not None]
        try:
            return {record.position: record for record in decode_all(raws, self.registry)}
        except EventStoreError:
            return {}

    def _attempt(
        self,
        entry: Leased,
        record: Recorded[Event] | None,
        publisher: Publisher,
        started: datetime,
    ) -> Finished:
        try:
            if record is None:
                record = self.decode(entry)
        except EventStoreError as error:
            return self._finished(entry, started, Outcome.DEAD, error)
        try:
            publisher(record)
        except Exception as error:  # whatever the publisher raises is a failed attempt
            log.debug("outbox entry %s failed: %r", entry.position, error)
            failures = entry.failures + 1
            outcome = Outcome.DEAD if self.retry.gives_up(failures) else Outcome.FAILED
            if outcome is Outcome.DEAD:
                log.warning("outbox entry %s is dead after %s attempts", entry.position, failures)
            return self._finished(entry, started, outcome, error)
        return self._finished(entry, started, Outcome.DELIVERED)

    def decode(self, leased: Leased) -> Recorded[Event]:
        """The entry's event, decoded through the registry; EventGone if it was deleted."""
        if leased.event is None:
            raise EventGone(leased.event_uuid, leased.position)
        [record] = decode_all([leased.event], self.registry)
        return record

    def _finished(
        self,
        entry: Leased,
        started: datetime,
        outcome: Outcome,
        error: BaseException | None = None,
        *,
        replay: bool = False,
    ) -> Finished:
        """The attempt as it ended and the entry's new state."""
        now = self.clock()
        error_type = None if error is None else type(error).__qualname__
        message = None if error is None else (str(error) or repr(error))[:_ERROR_LIMIT]
        attempt = Attempt(
            position=entry.position,
            number=entry.attempts + 1,
            relay_id=self.relay_id,
            started_at=started,
            finished_at=now,
            outcome=outcome,
            error_type=error_type,
            error_message=message,
            replay=replay,
        )
        last_error = entry.last_error if error is None else f"{error_type}: {message}"
        if replay:
            status = EntryStatus.DELIVERED if outcome is Outcome.DELIVERED else entry.status
            return Finished(attempt, status, entry.failures, None, last_error, entry.status)
        if outcome is Outcome.DELIVERED:
            return Finished(attempt, EntryStatus.DELIVERED, entry.failures, None, last_error)
        if outcome is Outcome.DEAD:
            return Finished(attempt, EntryStatus.DEAD, entry.failures + 1, None, last_error)
        failures = entry.failures + 1
        due = now + self.retry.delay(failures)
        return Finished(attempt, EntryStatus.PENDING, failures, due, last_error)

    def replayed(self, entry: Leased, publisher: Publisher) -> Finished:
        """Publish a delivered or dead entry again, as a replay attempt."""
        started = self.clock()
        try:
            publisher(self.decode(entry))
        except Exception as error:
            return self._finished(entry, started, Outcome.FAILED, error, replay=True)
        return self._finished(entry, started, Outcome.DELIVERED, replay=True)

    def run(
        self,
        publisher: Publisher,
        *,
        limit: int = 100,
        poll_interval: float = 1.0,
        waiter: Callable[[float], Waiter] | None = None,
        stop_event: threading.Event | None = None,
        handle_signals: bool = True,
        log_every: float = 10.0,
    ) -> RelayReport:
        """Deliver batches until ``stop_event`` is set (or, with ``handle_signals``, SIGTERM
        or SIGINT arrives: the batch in hand is finished and recorded first). When nothing
        is due it sleeps up to ``poll_interval`` seconds (``waiter`` wakes it on appends);
        a database that fails is retried on the same schedule (its failure logged when it
        starts, every ``log_every`` seconds while it lasts, and when it ends). Logs progress
        every ``log_every`` seconds; returns the totals."""
        stop = stop_event or threading.Event()
        total = RelayReport()
        last_log = time.monotonic()
        log.info("outbox relay %s started", self.relay_id)
        outage = Outage(log, f"outbox relay {self.relay_id}", every=log_every)
        with _stopping_on_signals(stop, handle_signals):
            sleeper = None
            try:
                while not stop.is_set():
                    try:
                        report = self.run_once(publisher, limit)
                    except _DATABASE_ERRORS as error:
                        outage.failed(error)
                        stop.wait(poll_interval)
                        continue
                    outage.recovered()
                    total += report
                    if time.monotonic() - last_log >= log_every:
                        last_log = time.monotonic()
                        log.info("outbox relay %s: %s", self.relay_id, total)
                    if report.claimed < limit:
                        sleeper = self._idle(stop, sleeper, waiter, poll_interval)
            finally:
                if sleeper is not None:
                    sleeper.close()
        log.info("outbox relay %s stopped: %s", self.relay_id, total)
        return total

    def _idle(
        self,
        stop: threading.Event,
        sleeper: Waiter | None,
        waiter: Callable[[float], Waiter] | None,
        poll_interval: float,
    ) -> Waiter | None:
        """Sleep up to ``poll_interval`` (woken by an append where ``waiter`` listens; a
        waiter listens again by itself when the database is back). Returns the waiter to
        use next."""
        if sleeper is None and waiter is not None:
            sleeper = waiter(poll_interval)
        if sleeper is None:
            stop.wait(poll_interval)
        else:
            sleeper.wait(poll_interval)
        return sleeper


@contextmanager
def _stopping_on_signals(stop: threading.Event, enabled: bool) -> Iterator[None]:
    """Set ``stop`` on SIGTERM and SIGINT while the block runs (main thread only)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        log.info("outbox relay: %s received, stopping after this batch", name)
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
