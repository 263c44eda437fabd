"""Envelopes: an event with its identity, time and context, before and after it is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID, uuid4

from event_sourcery.context import EMPTY_CONTEXT, Context, context_from_json
from event_sourcery.errors import InvalidRange
from event_sourcery.event import Event
from event_sourcery.streams import StreamId

E_co = TypeVar("E_co", bound=Event, covariant=True)


def utc_now() -> datetime:
    return datetime.now(UTC)


def aware_moment(value: datetime | None, label: str) -> datetime | None:
    """``value`` checked to be a moment in time: an aware datetime (or None)."""
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        raise InvalidRange(label, value, "not an aware datetime: give it a timezone")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope(Generic[E_co]):
    """An event ready to append; build one yourself to choose its uuid, time or context."""

    event: E_co
    uuid: UUID = field(default_factory=uuid4)
    created_at: datetime = field(default_factory=utc_now)
    context: Context = EMPTY_CONTEXT


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded(Envelope[E_co]):
    """A stored event: the envelope plus its stream, version and global position."""

    stream_id: StreamId
    version: int | None
    """Place in its stream, from 1; None in a NO_VERSIONING stream."""
    position: int
    """Place in the whole store's order; grows with every append."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedSnapshot(Recorded[E_co]):
    """A stored snapshot standing in for its stream's events up to ``version``; ``event`` is
    the snapshot event and ``position`` that of the stream's event at ``version``."""


@dataclass(frozen=True, slots=True)
class Page:
    """One read of the whole store: its events and the position to read on from."""

    events: list[Recorded[Event]]
    position: int
    """The last event's position when the read stopped at its limit; otherwise how far it
    safely looked, past events the filters left out (or deleted ones)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamInfo:
    """One stream as ``EventStore.streams`` lists it: what it holds, without loading it."""

    stream_id: StreamId
    """Its uuid, name and category as stored."""
    version: int | None
    """Its current version; None for a NO_VERSIONING stream."""
    events: int
    """How many events it holds."""
    first_at: datetime | None
    """``created_at`` (UTC) of its first event in stream order (None only for a stream
    without events, which the store never lists)."""
    last_at: datetime | None
    """``created_at`` (UTC) of its last event in stream order (a time set in an envelope
    may make it earlier than ``first_at``)."""
    snapshots: int
    """How many snapshots it keeps."""


class RawEvent(NamedTuple):
    """A stored event (or snapshot) as its row holds it: type name, the schema version it
    was written at, and JSON; no event class needed."""

    uuid: UUID
    stream_id: StreamId
    version: int | None
    position: int
    type: str
    schema_version: int
    data_json: str
    context_json: str
    created_at: datetime

    @property
    def data(self) -> dict[str, Any]:
        """The payload as a JSON dict."""
        value: dict[str, Any] = json.loads(self.data_json)
        return value

    @property
    def context(self) -> dict[str, Any]:
        """The context as a JSON dict (correlation_id, causation_id, extras)."""
        value: dict[str, Any] = json.loads(self.context_json)
        return value

    def context_model(self) -> Context:
        """The context as a ``Context``."""
        return context_from_json(self.context_json)
