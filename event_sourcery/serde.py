"""The one place events become stored rows and rows become events."""

from __future__ import annotations

from datetime import UTC

from event_sourcery.context import EMPTY_CONTEXT, Context
from event_sourcery.errors import InvalidEnvelope
from event_sourcery.event import Event
from event_sourcery.records import Envelope, RawEvent, Recorded
from event_sourcery.registry import EventRegistry
from event_sourcery.storage.protocol import NewEvent

_EMPTY_JSON = "{}"


def encode(item: Event | Envelope[Event], registry: EventRegistry) -> NewEvent:
    """Serialise a bare event (wrapped in a fresh envelope) or a caller-built envelope."""
    envelope = item if isinstance(item, Envelope) else Envelope(event=item)
    if not isinstance(envelope.event, Event):
        raise InvalidEnvelope(f"{envelope.event!r} is not an Event")
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
        uuid=envelope.uuid,
        type=registry.name_of(type(envelope.event)),
        data_json=envelope.event.model_dump_json(),
        context_json=context_json,
        created_at=created_at.astimezone(UTC),
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
