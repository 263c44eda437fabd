"""Appending what the demo's aggregates emit, as envelopes with uuids and times drawn from
the seed (so a seed gives the same store), with snapshots by the library's policy."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from event_sourcery import Aggregate, Context, Envelope, Event, EventStore, EveryNEvents, StreamId
from workbench.demo.aggregates import Subscription, before_late_fees
from workbench.demo.catalog import list_price
from workbench.demo.events import CustomerSubscribed, as_version_1

TICK = timedelta(milliseconds=1)
COMMIT_EVERY = 2_000


class BudgetSpent(Exception):
    """The demo holds as many events as it was asked for: the simulation stops."""


@dataclass
class Written:
    """What the writer stored so far."""

    events: int = 0
    legacy_events: int = 0
    snapshots: int = 0
    streams: dict[str, int] = field(default_factory=dict)
    """Streams created, by category."""
    first_at: datetime | None = None
    last_at: datetime | None = None
    drifted: tuple[StreamId, int] | None = None


class Writer:
    """Appends an aggregate's pending events as one batch (``legacy`` ones through a store
    still at schema version 1), snapshots subscriptions, and drifts one snapshot on purpose."""

    def __init__(
        self,
        store: EventStore,
        legacy_store: EventStore,
        ids: random.Random,
        budget: int,
        *,
        snapshot_every: int,
        drift_stream: StreamId | None,
        commit: Callable[[], None] = lambda: None,
        on_written: Callable[[int], object] = lambda count: None,
    ) -> None:
        self.store = store
        self.legacy_store = legacy_store
        self.commit = commit
        self._appends = 0
        self.ids = ids
        self.budget = budget
        self.policy = EveryNEvents(snapshot_every)
        self.drift_stream = drift_stream
        self.on_written = on_written
        self.written = Written()
        self._versions: dict[StreamId, int] = {}
        self._last_at: dict[StreamId, datetime] = {}

    def new_id(self) -> UUID:
        """A uuid drawn from the demo's seed (never uuid4)."""
        return UUID(int=self.ids.getrandbits(128), version=4)

    def write(
        self,
        stream: StreamId,
        aggregate: Aggregate,
        at: datetime,
        context: Context,
        *,
        legacy: bool = False,
    ) -> list[UUID]:
        """Append what ``aggregate`` emitted, from ``at`` on (later than anything the stream
        holds), with ``context``; the new events' uuids."""
        room = self.budget - self.written.events
        if room <= 0:
            raise BudgetSpent
        before = self._versions.get(stream, 0)
        with aggregate.__persisting_changes__() as pending:
            emitted = list(pending)
            if not emitted:
                return []
            envelopes, last = self._envelopes(emitted[:room], stream, at, context, legacy)
            target = self.legacy_store if legacy else self.store
            target.append(*envelopes, stream_id=stream, expected_version=before)
        self._appends += 1
        if self._appends % COMMIT_EVERY == 0:
            self.commit()
        after = before + len(envelopes)
        self._versions[stream], self._last_at[stream] = after, last
        self._count(stream, envelopes, before, legacy)
        whole = len(envelopes) == len(emitted)  # a cut batch leaves the state ahead of the stream
        if (
            whole
            and isinstance(aggregate, Subscription)
            and self.policy.should_snapshot(before, after)
        ):
            self._snapshot(stream, aggregate, after)
        return [envelope.uuid for envelope in envelopes]

    def finish(self) -> None:
        """Commit what is left."""
        self.commit()

    def _envelopes(
        self,
        events: list[Event],
        stream: StreamId,
        at: datetime,
        context: Context,
        legacy: bool,
    ) -> tuple[list[Envelope[Event]], datetime]:
        previous = self._last_at.get(stream)
        moment = at if previous is None or at > previous else previous + TICK
        envelopes: list[Envelope[Event]] = []
        for event in events:
            stored = _legacy_form(event) if legacy else event
            envelopes.append(
                Envelope(event=stored, uuid=self.new_id(), created_at=moment, context=context)
            )
            moment += timedelta(milliseconds=self.ids.randint(1, 250))
        return envelopes, envelopes[-1].created_at

    def _count(
        self, stream: StreamId, envelopes: list[Envelope[Event]], before: int, legacy: bool
    ) -> None:
        written = self.written
        written.events += len(envelopes)
        written.legacy_events += len(envelopes) if legacy else 0
        if before == 0:
            category = stream.category or ""
            written.streams[category] = written.streams.get(category, 0) + 1
        first, last = envelopes[0].created_at, envelopes[-1].created_at
        written.first_at = first if written.first_at is None else min(written.first_at, first)
        written.last_at = last if written.last_at is None else max(written.last_at, last)
        self.on_written(len(envelopes))

    def _snapshot(self, stream: StreamId, subscription: Subscription, version: int) -> None:
        snapshot = subscription.__snapshot__()
        drifts = (
            self.written.drifted is None
            and self.drift_stream is not None
            and stream == self.drift_stream
            and snapshot.late_fees > 0
        )
        if drifts:
            snapshot = before_late_fees(snapshot)
            self.written.drifted = (stream, version)
        # Stamped like the events: a uuid from the seed, the time of the version it covers.
        at = self._last_at[stream]
        self.store.save_snapshot(
            stream, Envelope(event=snapshot, uuid=self.new_id(), created_at=at), version
        )
        self.written.snapshots += 1


def _legacy_form(event: Event) -> Event:
    """``event`` as schema version 1 stored it; only list-price EUR signups had that form."""
    if not isinstance(event, CustomerSubscribed):
        raise TypeError(f"only CustomerSubscribed has an older schema, not {type(event).__name__}")
    if (event.price, event.currency) != (list_price(event.plan_id, event.model), "EUR"):
        raise ValueError("version 1 cannot hold a price other than the list price in EUR")
    return as_version_1(event)
