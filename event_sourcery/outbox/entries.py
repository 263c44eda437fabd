"""What the outbox holds: entries (one per event to deliver) and the attempts to deliver them."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

from event_sourcery.errors import InvalidOutboxSetting
from event_sourcery.event import Event
from event_sourcery.records import RawEvent
from event_sourcery.streams import StreamId

if TYPE_CHECKING:
    from event_sourcery.records import Envelope
    from event_sourcery.storage.protocol import NewEvent


class EntryStatus(StrEnum):
    """Where an entry stands: waiting for (another) attempt, delivered, or given up on."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class Outcome(StrEnum):
    """How one attempt ended."""

    DELIVERED = "delivered"
    FAILED = "failed"
    """The publisher raised; another attempt follows on the backoff schedule."""
    DEAD = "dead"
    """The last attempt allowed failed, or the event cannot be decoded (or is gone)."""
    ABANDONED = "abandoned"
    """The relay stopped hearing from it (killed, or its lease ran out): unknown whether the
    event went out, so it is attempted again."""


ABANDONED_MESSAGE = "the relay stopped before recording the outcome (its lease ran out)"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One event to deliver, keyed by the event's position, and how its delivery stands."""

    position: int
    event_uuid: UUID
    stream_id: StreamId
    """The event's stream (uuid and category; the name is not kept here)."""
    version: int | None
    type: str
    status: EntryStatus
    attempts: int
    """Attempts so far, replays included: the next one is number ``attempts + 1``."""
    failures: int
    """Failed attempts since the entry was created or last retried; they count towards the
    retry policy's ``max_attempts``."""
    created_at: datetime
    next_attempt_at: datetime | None
    """When a pending entry is due; None once delivered or dead."""
    delivered_at: datetime | None
    last_error: str | None
    leased_by: str | None
    """The relay delivering it right now, if any, since ``leased_at``; other relays keep
    off until ``leased_until``."""
    leased_at: datetime | None
    leased_until: datetime | None

    @property
    def latency(self) -> float | None:
        """Seconds from the entry's creation to its (first) delivery."""
        if self.delivered_at is None:
            return None
        return (self.delivered_at - self.created_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at delivering an entry: who, when, and how it ended."""

    position: int
    """The entry's (its event's) position."""
    number: int
    relay_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: Outcome
    error_type: str | None
    error_message: str | None
    replay: bool
    """True for a re-delivery asked for with ``Outbox.replay``."""

    @classmethod
    def abandoned(cls, entry: OutboxEntry, now: datetime) -> Attempt:
        """The attempt of the relay whose lease on ``entry`` ran out, as whoever finds the
        lease expired at ``now`` records it."""
        return cls(
            position=entry.position,
            number=entry.attempts + 1,
            relay_id=entry.leased_by or "",
            started_at=entry.leased_at or now,
            finished_at=now,
            outcome=Outcome.ABANDONED,
            error_type=None,
            error_message=ABANDONED_MESSAGE,
            replay=False,
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """Which entries a query, a replay or a retry is about; every field given narrows it.

    ``stream`` is a stream's uuid or StreamId (its category then counts too; a deleted
    stream's entries are found by the other fields only), ``types`` stored type names,
    ``since <= created_at < until``, ``positions`` exact entries.
    """

    status: EntryStatus | None = None
    stream: UUID | StreamId | None = None
    types: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    positions: tuple[int, ...] | None = None
    limit: int | None = None


class Leased(NamedTuple):
    """An entry handed to a relay (or a replay): what delivering it needs, and its event
    (None if its stream was deleted). ``stream`` is the key that orders it, as stored. A
    tuple: a relay makes one per entry."""

    position: int
    event_uuid: UUID
    stream: Hashable
    status: EntryStatus
    attempts: int
    failures: int
    last_error: str | None
    event: RawEvent | None

    @classmethod
    def of(cls, entry: OutboxEntry, event: RawEvent | None) -> Leased:
        stream = (entry.stream_id.uuid, entry.stream_id.category)
        return cls(
            entry.position,
            entry.event_uuid,
            stream,
            entry.status,
            entry.attempts,
            entry.failures,
            entry.last_error,
            event,
        )


class Finished(NamedTuple):
    """What became of one attempt: the attempt to record and the entry's new state. A
    tuple: a relay makes one per entry."""

    attempt: Attempt
    status: EntryStatus
    failures: int
    next_attempt_at: datetime | None
    last_error: str | None
    previous: EntryStatus = EntryStatus.PENDING
    """The status the attempt found (a replay's record applies only if it is unchanged)."""


class OutboxFilter:
    """Which appended events get an outbox entry: those of ``types`` (classes, with their
    subclasses, or stored names) in ``categories`` (None: streams without one). Leaving
    either out lets every value of it through."""

    def __init__(
        self,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
    ) -> None:
        chosen = None if types is None else tuple(types)
        self.classes = None if chosen is None else tuple(t for t in chosen if isinstance(t, type))
        self.names = None if chosen is None else frozenset(t for t in chosen if isinstance(t, str))
        self.categories = None if categories is None else frozenset(c or "" for c in categories)

    def accepts(self, event: Event, type_name: str, category: str | None) -> bool:
        if self.categories is not None and (category or "") not in self.categories:
            return False
        if self.classes is None or self.names is None:
            return True
        return type_name in self.names or isinstance(event, self.classes)

    def __repr__(self) -> str:
        return f"OutboxFilter(types={self.classes}+{self.names}, categories={self.categories})"


EVERY_EVENT = OutboxFilter()
"""``with_outbox=True``: every appended event gets an entry."""


def outbox_filter(with_outbox: bool | OutboxFilter) -> OutboxFilter | None:
    """What ``with_outbox=`` asks for: None (no entries), or the filter to apply."""
    if isinstance(with_outbox, OutboxFilter):
        return with_outbox
    if not isinstance(with_outbox, bool):
        raise InvalidOutboxSetting(
            "with_outbox", f"{with_outbox!r} is neither a bool nor an OutboxFilter"
        )
    return EVERY_EVENT if with_outbox else None


def mark_for_outbox(
    accepts: OutboxFilter,
    items: Sequence[Event | Envelope[Event]],
    new_events: Sequence[NewEvent],
    category: str | None,
) -> None:
    """Mark the serialised events of one append that get an outbox entry."""
    for item, new in zip(items, new_events, strict=True):
        event = item if isinstance(item, Event) else item.event
        new.outbox = accepts.accepts(event, new.type, category)
