"""The one place events become stored rows and rows become events."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from event_sourcery.context import (
    EMPTY_CONTEXT,
    NO_CONTEXT_JSON,
    Context,
    Enricher,
    context_from_json,
    enrich,
)
from event_sourcery.errors import InvalidEnvelope, UndecodableEvent, UnsupportedSchemaVersion
from event_sourcery.event import Event
from event_sourcery.records import Envelope, RawEvent, Recorded, RecordedSnapshot
from event_sourcery.registry import EventRegistry
from event_sourcery.storage.protocol import NewEvent

Reader = Callable[[str], Event]


def encode(
    items: Sequence[Event | Envelope[Event]],
    registry: EventRegistry,
    context: Context | None = None,
    enrichers: Sequence[Enricher] = (),
) -> list[NewEvent]:
    """Serialise one append's events: bare events get a fresh uuid, the append's time and
    ``context``; caller-built envelopes keep theirs. Enrichers add to every context."""
    now = datetime.now(UTC)
    entropy = os.urandom(16 * len(items))  # one system call for the batch's uuid4s
    shared = context if context is not None else EMPTY_CONTEXT
    encoded = []
    for index, item in enumerate(items):
        if isinstance(item, Event):
            uuid = UUID(bytes=entropy[16 * index : 16 * index + 16], version=4)
            cls = type(item)
            encoded.append(
                NewEvent(
                    uuid,
                    registry.name_of(cls),
                    cls.__schema_version__,
                    _payload_json(item, uuid),
                    _context_json(item, shared, enrichers, uuid),
                    now,
                )
            )
        elif isinstance(item, Envelope):
            encoded.append(_encode_envelope(item, registry, enrichers))
        else:
            raise InvalidEnvelope(f"{item!r} is neither an Event nor an Envelope of one")
    return encoded


def decode_all(
    raws: Sequence[RawEvent],
    registry: EventRegistry,
    record: type[Recorded[Event]] = Recorded,
) -> list[Recorded[Event]]:
    """Decode rows in bulk: each (type, schema version) is resolved once, and the frozen
    records' slots are filled in directly, which costs half of going through ``__init__``."""
    readers: dict[tuple[str, int], Reader] = {}
    snapshots = record is RecordedSnapshot
    new, set_slot = object.__new__, object.__setattr__
    decoded: list[Recorded[Event]] = []
    for raw in raws:
        uuid, stream_id, version, position, type_name, schema, data_json, context_json, at = raw
        read = readers.get((type_name, schema))
        if read is None:
            read = readers[(type_name, schema)] = _reader(registry, raw, snapshots)
        try:
            event = read(data_json)
            context = context_from_json(context_json)
        except ValidationError as error:
            raise UndecodableEvent(
                stream_id, version, position, type_name, _reason(error), snapshot=snapshots
            ) from None
        except _UpcasterFailed as error:
            raise UndecodableEvent(
                stream_id, version, position, type_name, str(error), snapshot=snapshots
            ) from None
        recorded: Recorded[Event] = new(record)
        set_slot(recorded, "event", event)
        set_slot(recorded, "uuid", uuid)
        set_slot(recorded, "created_at", at)
        set_slot(recorded, "context", context)
        set_slot(recorded, "stream_id", stream_id)
        set_slot(recorded, "version", version)
        set_slot(recorded, "position", position)
        decoded.append(recorded)
    return decoded


class _UpcasterFailed(Exception):
    """An upcaster raised on a stored payload; becomes UndecodableEvent naming the row."""


def _reader(registry: EventRegistry, raw: RawEvent, snapshot: bool) -> Reader:
    """Payload JSON to event for rows of ``raw``'s type and schema version: straight into
    the class when the row is current, through the upcaster chain when it is older."""
    cls = registry.resolve(raw.type, raw.stream_id)
    stored, current = raw.schema_version, cls.__schema_version__
    validate: Reader = cls.__pydantic_validator__.validate_json
    if stored == current:
        return validate

    def refuse(reason: str) -> UnsupportedSchemaVersion:
        return UnsupportedSchemaVersion(
            raw.stream_id, raw.version, raw.position, raw.type, reason, snapshot=snapshot
        )

    if stored > current or stored < 1:
        raise refuse(
            f"it was written at schema version {stored} but {cls.__qualname__} is at version "
            f"{current}; run the code that wrote it (or a newer one)"
        )
    try:
        chain = registry.upcasters(raw.type, stored, current)
    except KeyError as missing:
        raise refuse(
            f"it is at schema version {stored}, {cls.__qualname__} at {current}, and no "
            f"upcaster from version {missing.args[0]} is registered"
        ) from None

    def upcast_and_validate(data_json: str) -> Event:
        data = json.loads(data_json)
        for from_version, upcast in enumerate(chain, start=stored):
            try:
                data = upcast(data)
            except Exception as error:
                raise _UpcasterFailed(
                    f"the upcaster from schema version {from_version} raised "
                    f"{type(error).__name__}: {error}"
                ) from error
            if not isinstance(data, dict):
                raise _UpcasterFailed(
                    f"the upcaster from schema version {from_version} returned "
                    f"{type(data).__name__}, not a dict"
                )
        return validate(json.dumps(data))

    return upcast_and_validate


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors()
    )


def _encode_envelope(
    envelope: Envelope[Event], registry: EventRegistry, enrichers: Sequence[Enricher]
) -> NewEvent:
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
    return NewEvent(
        uuid,
        registry.name_of(type(event)),
        type(event).__schema_version__,
        _payload_json(event, uuid),
        _context_json(event, context, enrichers, uuid),
        created_at,
    )


def _context_json(event: Event, context: Context, enrichers: Sequence[Enricher], uuid: UUID) -> str:
    if enrichers:
        try:
            context = enrich(context, event, enrichers)
        except (TypeError, ValueError) as error:
            raise InvalidEnvelope(f"an enricher gave event {uuid} a bad context: {error}") from None
    if context is EMPTY_CONTEXT or not (context.model_fields_set or context.model_extra):
        return NO_CONTEXT_JSON
    return _payload_json(context, uuid)


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
