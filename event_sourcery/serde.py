"""The one place events become stored rows and rows become events."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from event_sourcery.context import EMPTY_CONTEXT, Context
from event_sourcery.errors import InvalidEnvelope
from event_sourcery.event import Event
from event_sourcery.records import Envelope, RawEvent, Recorded
from event_sourcery.registry import EventRegistry
from event_sourcery.storage.protocol import NewEvent

_EMPTY_JSON = "{}"


def encode(items: Sequence[Event | Envelope[Event]], registry: EventRegistry) -> list[NewEvent]:
    """Serialise one append's events: bare events get a fresh uuid and the append's time;
    caller-built envelopes keep theirs."""
    now = datetime.now(UTC)
    entropy = os.urandom(16 * len(items))  # one system call for the batch's uuid4s
    encoded = []
    for index, item in enumerate(items):
        if isinstance(item, Event):
            uuid = UUID(bytes=entropy[16 * index : 16 * index + 16], version=4)
            encoded.append(
                NewEvent(
                    uuid, registry.name_of(type(item)), item.model_dump_json(), _EMPTY_JSON, now
                )
            )
        elif isinstance(item, Envelope) and isinstance(item.event, Event):
            encoded.append(_encode_envelope(item, registry))
        else:
            raise InvalidEnvelope(f"{item!r} is neither an Event nor an Envelope of one")
    return encoded


def _encode_envelope(envelope: Envelope[Event], registry: EventRegistry) -> NewEvent:
    created_at = envelope.created_at
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise InvalidEnvelope(
            f"created_at {created_at.isoformat()} of event {envelope.uuid} has no timezone"
        )
    context = envelope.context
    context_json = (
        _EMPTY_JSON
        if context is EMPTY_CONTEXT or (not context.model_fields_set and not context.model_extra)
        else context.model_dump_json()
    )
    return NewEvent(
        envelope.uuid,
        registry.name_of(type(envelope.event)),
        envelope.event.model_dump_json(),
        context_json,
        created_at.astimezone(UTC),
    )


def decode(raw: RawEvent, registry: EventRegistry) -> Recorded[Event]:
    """Turn a stored row into a typed envelope through the registry."""
    cls = registry.resolve(raw.type, raw.stream_id)
    context_json = raw.context_json
    return Recorded(
        event=cls.model_validate_json(raw.data_json),
        uuid=raw.uuid,
        created_at=raw.created_at,
        context=(
            EMPTY_CONTEXT
            if context_json == _EMPTY_JSON
            else Context.model_validate_json(context_json)
        ),
        stream_id=raw.stream_id,
        version=raw.version,
        position=raw.position,
    )
