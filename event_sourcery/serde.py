"""The one place events become stored rows and rows become events."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from event_sourcery.context import EMPTY_CONTEXT, Context
from event_sourcery.errors import InvalidEnvelope, UndecodableEvent
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
            data_json = _payload_json(item, uuid)
            encoded.append(
                NewEvent(uuid, registry.name_of(type(item)), data_json, _EMPTY_JSON, now)
            )
        elif isinstance(item, Envelope):
            encoded.append(_encode_envelope(item, registry))
        else:
            raise InvalidEnvelope(f"{item!r} is neither an Event nor an Envelope of one")
    return encoded


def decode_all(raws: Sequence[RawEvent], registry: EventRegistry) -> list[Recorded[Event]]:
    """Decode rows in bulk: each type is resolved once, and the frozen envelopes' slots are
    filled in directly, which costs half of going through their ``__init__``."""
    validators: dict[str, Callable[[str], Any]] = {}
    new, set_slot = object.__new__, object.__setattr__
    decoded: list[Recorded[Event]] = []
    for raw in raws:
        uuid, stream_id, version, position, type_name, data_json, context_json, created_at = raw
        validate = validators.get(type_name)
        if validate is None:
            cls = registry.resolve(type_name, stream_id)
            validate = validators[type_name] = cls.__pydantic_validator__.validate_json
        try:
            event = validate(data_json)
            context = (
                EMPTY_CONTEXT
                if context_json == _EMPTY_JSON
                else Context.model_validate_json(context_json)
            )
        except ValidationError as error:
            raise UndecodableEvent(
                stream_id, version, position, type_name, _reason(error)
            ) from None
        recorded: Recorded[Event] = new(Recorded)
        set_slot(recorded, "event", event)
        set_slot(recorded, "uuid", uuid)
        set_slot(recorded, "created_at", created_at)
        set_slot(recorded, "context", context)
        set_slot(recorded, "stream_id", stream_id)
        set_slot(recorded, "version", version)
        set_slot(recorded, "position", position)
        decoded.append(recorded)
    return decoded


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors()
    )


def _encode_envelope(envelope: Envelope[Event], registry: EventRegistry) -> NewEvent:
    event, uuid, created_at, context = (
        envelope.event,
        envelope.uuid,
        envelope.created_at,
        envelope.context,
    )
    if not isinstance(event, Event):
        raise InvalidEnvelope(f"envelope event {event!r} is not an Event")
    if not isinstance(uuid, UUID):
        raise InvalidEnvelope(f"envelope uuid {uuid!r} is not a uuid.UUID")
    if not isinstance(created_at, datetime) or created_at.utcoffset() is None:
        raise InvalidEnvelope(f"created_at {created_at!r} of event {uuid} has no timezone")
    if not isinstance(context, Context):
        raise InvalidEnvelope(f"context {context!r} of event {uuid} is not a Context")
    try:
        created_at = created_at.astimezone(UTC)
    except OverflowError:
        raise InvalidEnvelope(
            f"created_at {created_at!r} of event {uuid} is out of range"
        ) from None
    has_context = context is not EMPTY_CONTEXT and (context.model_fields_set or context.model_extra)
    return NewEvent(
        uuid,
        registry.name_of(type(event)),
        _payload_json(event, uuid),
        _payload_json(context, uuid) if has_context else _EMPTY_JSON,
        created_at,
    )


def _payload_json(model: BaseModel, uuid: UUID) -> str:
    """JSON of an event or context; NUL characters are refused because PostgreSQL cannot
    store them, and every backend must accept the same events."""
    try:
        text = model.model_dump_json()
    except PydanticSerializationError as error:
        raise InvalidEnvelope(f"event {uuid} cannot be serialised: {error}") from None
    if "\\u0000" in text and _has_nul(json.loads(text)):
        raise InvalidEnvelope(f"event {uuid} holds a NUL character (\\x00), which cannot be stored")
    return text


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
