"""Outbox: a store's outbox — its relay, its audit trail, replays, retries and purges."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from event_sourcery.errors import InvalidOutboxSetting, OutboxUnsupported
from event_sourcery.event import Event
from event_sourcery.outbox.entries import (
    Attempt,
    EntryStatus,
    Leased,
    OutboxEntry,
    Outcome,
    Selection,
)
from event_sourcery.outbox.relay import Clock, OutboxRelay, Publisher, RelayReport
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.records import aware_moment, utc_now
from event_sourcery.streams import StreamId
from event_sourcery.versioning import is_whole

if TYPE_CHECKING:
    from event_sourcery.event_store import EventStore

Chosen = Selection | Iterable[OutboxEntry | int]
"""Entries to replay or retry: a ``Selection``, or entries (or their positions)."""


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """A replay: the entries it sends (or, in a dry run, would send), the pending ones it
    leaves to the relay, and how each send went."""

    dry_run: bool
    entries: list[OutboxEntry]
    skipped: list[OutboxEntry]
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


class Outbox:
    """The outbox of one store (``store.outbox``, ``get_outbox(session)``).

    ``run_once``/``run`` deliver pending entries to a publisher; ``entries``, ``attempts``
    and ``counts`` read the audit trail; ``replay`` sends delivered or dead entries again;
    ``retry`` puts dead entries back to pending; ``purge`` forgets old delivered ones.
    ``retry_policy`` sets the backoff, ``lease`` how many seconds a relay has to deliver
    a batch before others take it over, ``clock`` what time it is (UTC).
    """

    def __init__(
        self,
        store: EventStore,
        *,
        retry_policy: RetryPolicy | None = None,
        lease: float = 60.0,
        relay_id: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        if not callable(getattr(store.storage, "outbox", None)):
            raise OutboxUnsupported(type(store.storage).__name__)
        self.storage = store.storage.outbox()
        self.relay = OutboxRelay(
            self.storage,
            store.registry,
            clock=clock,
            retry=retry_policy or RetryPolicy(),
            lease=lease,
            relay_id=relay_id,
        )

    @property
    def relay_id(self) -> str:
        return self.relay.relay_id

    def run_once(self, publisher: Publisher, limit: int = 100) -> RelayReport:
        """Deliver one batch of at most ``limit`` due entries; see ``OutboxRelay``."""
        return self.relay.run_once(publisher, limit)

    def run(
        self,
        publisher: Publisher,
        *,
        limit: int = 100,
        poll_interval: float = 1.0,
        stop_event: threading.Event | None = None,
        handle_signals: bool = True,
        log_every: float = 10.0,
    ) -> RelayReport:
        """Deliver until stopped (``stop_event``, SIGTERM, SIGINT): a relay worker's loop.
        New appends wake it (PostgreSQL: LISTEN/NOTIFY); retries are looked for every
        ``poll_interval`` seconds."""
        return self.relay.run(
            publisher,
            limit=limit,
            poll_interval=poll_interval,
            waiter=self.store.storage.waiter,
            stop_event=stop_event,
            handle_signals=handle_signals,
            log_every=log_every,
        )

    def entries(
        self,
        status: EntryStatus | str | None = None,
        *,
        stream: UUID | StreamId | None = None,
        types: Iterable[type[Event] | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        positions: Iterable[int] | None = None,
    ) -> list[OutboxEntry]:
        """Entries in position order, narrowed by status, stream, event types (classes
        with their subclasses, or names), creation time (``since <= t < until``) and
        positions (an entry's is its event's)."""
        return self.storage.entries(
            self.selection(
                status,
                stream=stream,
                types=types,
                since=since,
                until=until,
                limit=limit,
                positions=positions,
            )
        )

    def selection(
        self,
        status: EntryStatus | str | None = None,
        *,
        stream: UUID | StreamId | None = None,
        types: Iterable[type[Event] | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        positions: Iterable[int] | None = None,
    ) -> Selection:
        """A checked ``Selection`` for ``replay`` and ``retry`` (arguments as ``entries``)."""
        if status is not None:
            try:
                status = EntryStatus(status)
            except ValueError:
                known = ", ".join(s.value for s in EntryStatus)
                raise InvalidOutboxSetting("status", f"{status!r} is not one of {known}") from None
        if stream is not None and not isinstance(stream, UUID | StreamId):
            raise InvalidOutboxSetting("stream", f"{stream!r} is not a UUID or StreamId")
        if limit is not None and not is_whole(limit):
            raise InvalidOutboxSetting("limit", f"{limit!r} is not a whole number >= 0")
        if positions is not None:
            if isinstance(positions, str | bytes) or not isinstance(positions, Iterable):
                raise InvalidOutboxSetting("positions", f"{positions!r} is not a list of positions")
            positions = tuple(positions)
            wrong = [p for p in positions if not is_whole(p, 1)]
            if wrong:
                raise InvalidOutboxSetting("positions", f"{wrong[0]!r} is not a position >= 1")
        return Selection(
            status=status,
            stream=stream,
            types=None if types is None else self.store.registry.names_for(types),
            since=aware_moment(since, "since"),
            until=aware_moment(until, "until"),
            positions=positions,
            limit=limit,
        )

    def attempts(self, entry: OutboxEntry | int | None = None) -> list[Attempt]:
        """Every attempt at delivering ``entry`` (an entry or its position) in order, or
        every attempt of every entry."""
        if entry is None:
            return self.storage.attempts(None)
        return self.storage.attempts([_position(entry)])

    def counts(self) -> dict[EntryStatus, int]:
        """How many entries are pending, delivered and dead."""
        return self.storage.counts()

    def replay(
        self, selection: Chosen, publisher: Publisher, *, dry_run: bool = True
    ) -> ReplayReport:
        """Send delivered or dead entries again, in position order, each as a replay
        attempt (a dead one that goes through becomes delivered). Pending entries are the
        relay's and are skipped. ``dry_run`` (the default) only says what would be sent."""
        found = self.storage.with_events(self._chosen(selection))
        wanted = [(e, event) for e, event in found if e.status is not EntryStatus.PENDING]
        skipped = [e for e, _ in found if e.status is EntryStatus.PENDING]
        report = ReplayReport(dry_run, [e for e, _ in wanted], skipped)
        if dry_run:
            return report
        finished = []
        for entry, event in wanted:
            done = self.relay.replayed(Leased.of(entry, event), publisher)
            finished.append(done)
            if done.attempt.outcome is Outcome.DELIVERED:
                report.delivered.append(entry.position)
            else:
                report.failed[entry.position] = done.last_error or ""
        self.storage.record_replays(finished)
        return report

    def retry(self, selection: Chosen) -> int:
        """Put the dead entries among ``selection`` back to pending, due now, with a fresh
        count of attempts allowed; returns how many moved."""
        positions = [entry.position for entry in self.storage.entries(self._chosen(selection))]
        return self.storage.requeue(positions, self.relay.clock()) if positions else 0

    def purge(self, older_than: timedelta | datetime, *, dead: bool = False) -> int:
        """Forget delivered entries (and their attempts) delivered before ``older_than``
        (a moment, or an age); ``dead=True`` also dead ones created before it. Returns
        how many entries went."""
        if isinstance(older_than, timedelta):
            before = self.relay.clock() - older_than
        else:
            before = aware_moment(older_than, "older_than") or datetime.now(UTC)
        statuses = (EntryStatus.DELIVERED, EntryStatus.DEAD) if dead else (EntryStatus.DELIVERED,)
        return self.storage.purge(before, statuses)

    def _chosen(self, chosen: Chosen) -> Selection:
        if isinstance(chosen, Selection):
            return chosen
        if isinstance(chosen, str | bytes):
            raise InvalidOutboxSetting("selection", f"{chosen!r} is not entries or positions")
        return Selection(positions=tuple(_position(item) for item in chosen))


def _position(entry: OutboxEntry | int) -> int:
    if isinstance(entry, OutboxEntry):
        return entry.position
    if not is_whole(entry, 1):
        raise InvalidOutboxSetting("entry", f"{entry!r} is not an outbox entry or its position")
    return entry
