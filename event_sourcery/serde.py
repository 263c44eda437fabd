"""The one place events become stored rows and rows become events."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from event_sourcery.context import (
    EMPTY_CONTEXT,
    NO_CONTEXT_JSON,
    Context,
    Enricher,
    context_from_json,
    enrich,
)
from event_sourcery.errors import (
    InvalidEnvelope,
    UndecodableEvent,
    UnknownEventType,
    UnsupportedSchemaVersion,
)
from event_sourcery.event import Event
from event_sourcery.json_checks import (
    MAX_JSON_DEPTH,
    has_inf_nan,
    json_depth,
    lossy_float,
    may_hold_lossy_floats,
    nul_at,
)
from event_sourcery.quoting import quoted
from event_sourcery.records import Envelope, RawEvent, Recorded, RecordedSnapshot
from event_sourcery.registry import EventRegistry
from event_sourcery.storage.protocol import NewEvent
from event_sourcery.stored_time import UnreadableTime
from event_sourcery.versioning import is_whole

Reader = Callable[[str], Event]

MAX_TYPE_CHARS = 255
"""A type name's limit in characters: the width of the type columns (events, snapshots,
outbox), which PostgreSQL enforces; every backend refuses a longer name alike."""
_storable_names: set[str] = set()
"""Type names already found storable: each name is checked once per process."""


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
                    _type_name(registry, cls),
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


def _type_name(registry: EventRegistry, cls: type[Event]) -> str:
    """The name rows store for ``cls``, refused with ``InvalidEnvelope`` when no backend
    could store it: longer than ``MAX_TYPE_CHARS``, or holding NUL or lone surrogates."""
    name = registry.name_of(cls)
    if name in _storable_names:
        return name
    if len(name) > MAX_TYPE_CHARS:
        problem = f"is {len(name)} characters long, over {MAX_TYPE_CHARS} (the type column's width)"
    elif "\x00" in name:
        problem = "holds a NUL character (\\x00), which PostgreSQL cannot store"
    elif not name.isascii() and not _is_utf8(name):
        problem = "holds a lone surrogate, which is not UTF-8"
    else:
        _storable_names.add(name)
        return name
    raise InvalidEnvelope(
        f"the event type name {quoted(name)} of {cls.__qualname__} {problem}: give the class a "
        f"shorter __event_name__ (or register it under one)"
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def decode_all(
    raws: Sequence[RawEvent],
    registry: EventRegistry,
    record: type[Recorded[Event]] = Recorded,
) -> list[Recorded[Event]]:
    """Decode rows in bulk: each (type, schema version) is resolved once, and the frozen
    records' slots are filled in directly, which costs half of going through ``__init__``.

    A row that cannot be decoded (unknown type, impossible schema version, malformed or
    mistyped JSON in its payload or context, a stored time that is not one) raises
    ``UnknownEventType`` or ``UndecodableEvent`` naming the row: uuid, position, stream,
    version and type."""
    readers: dict[tuple[str, int], Reader] = {}
    snapshots = record is RecordedSnapshot
    new, set_slot = object.__new__, object.__setattr__
    decoded: list[Recorded[Event]] = []
    for raw in raws:
        uuid, stream_id, version, position, type_name, schema, data_json, context_json, at = raw
        if at.__class__ is UnreadableTime:
            raise UndecodableEvent(
                stream_id, version, position, type_name, at.problem, snapshot=snapshots, uuid=uuid
            )
        read = readers.get((type_name, schema))
        if read is None:
            read = readers[(type_name, schema)] = _reader(registry, raw, snapshots)
        try:
            event = read(data_json)
        except (ValidationError, _UpcasterFailed, TypeError) as error:
            raise _undecodable(raw, "payload", error, snapshots) from None
        try:
            context = context_from_json(context_json)
        except (ValidationError, TypeError) as error:
            raise _undecodable(raw, "context", error, snapshots) from None
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


def _undecodable(raw: RawEvent, part: str, error: Exception, snapshot: bool) -> UndecodableEvent:
    """The error naming ``raw`` whose ``part`` (payload or context) could not be read."""
    if isinstance(error, ValidationError):
        reason = _reason(error, part)
    elif isinstance(error, TypeError) and not isinstance(
        stored := raw.data_json if part == "payload" else raw.context_json, str | bytes
    ):
        reason = f"{part}: the stored value is a {type(stored).__name__}, not JSON text"
    else:  # an upcaster's failure, or a TypeError of the class's own validators
        reason = str(error)
    return UndecodableEvent(
        raw.stream_id, raw.version, raw.position, raw.type, reason, snapshot=snapshot, uuid=raw.uuid
    )


class _UpcasterFailed(Exception):
    """An upcaster raised on a stored payload; becomes UndecodableEvent naming the row."""


def _reader(registry: EventRegistry, raw: RawEvent, snapshot: bool) -> Reader:
    """Payload JSON to event for rows of ``raw``'s type and schema version: straight into
    the class when the row is current, through the upcaster chain when it is older."""
    try:
        cls = registry.resolve(raw.type, raw.stream_id)
    except UnknownEventType:
        raise UnknownEventType(
            raw.type,
            raw.stream_id,
            position=raw.position,
            version=raw.version,
            uuid=raw.uuid,
            snapshot=snapshot,
        ) from None
    stored, current = raw.schema_version, cls.__schema_version__
    validate: Reader = cls.__pydantic_validator__.validate_json
    if stored == current:
        return validate

    def refuse(reason: str) -> UnsupportedSchemaVersion:
        return UnsupportedSchemaVersion(
            raw.stream_id,
            raw.version,
            raw.position,
            raw.type,
            reason,
            snapshot=snapshot,
            uuid=raw.uuid,
        )

    if not is_whole(stored):
        raise refuse(
            f"its schema version {stored!r} is not a version (a whole number from 1): the row "
            "was not written by Event Sourcery, or was changed since"
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
        try:
            data = json.loads(data_json)
        except (ValueError, RecursionError) as error:
            raise _UpcasterFailed(f"the stored payload is not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise _UpcasterFailed(
                f"the stored payload is a JSON {type(data).__name__}, not an object"
            )
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


def _reason(error: ValidationError, part: str = "payload") -> str:
    """What pydantic refused, field by field; a problem with the whole document (malformed
    JSON, not an object) is named after ``part``."""
    prefix = "" if part == "payload" else f"{part}."
    return "; ".join(
        f"{prefix + '.'.join(map(str, e['loc'])) if e['loc'] else part}: {e['msg']}"
        for e in error.errors()
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
        _type_name(registry, type(event)),
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
    return _payload_json(context, uuid, "context")


def _payload_json(model: BaseModel, uuid: UUID, part: str = "payload") -> str:
    """JSON of an event (``part`` "payload") or context, refused with ``InvalidEnvelope``
    when no backend could store it, or could not read it back: NUL characters (PostgreSQL
    cannot store them, and every backend must accept the same events), lone surrogates,
    nesting deeper than ``MAX_JSON_DEPTH``. NaN and infinities become the JSON strings
    "NaN", "Infinity" and "-Infinity" (JSON has no such numbers): ``float`` fields read
    them back as floats, untyped ones (``Any``, context extras) as those strings."""
    try:
        text = model.model_dump_json()
        if part == "context" and "null" in text and has_inf_nan(model.model_extra):
            # Context keeps pydantic's default (NaN as null): store it as events do.
            text = to_json(model.model_dump(), inf_nan_mode="strings").decode()
    except PydanticSerializationError as error:
        raise InvalidEnvelope(
            f"the {part} of event {uuid} cannot be serialised ({error}): store text without "
            f"lone surrogates and values JSON can hold, nested at most {MAX_JSON_DEPTH} deep"
        ) from None
    if part == "payload" and "null" in text and may_hold_lossy_floats(type(model)):
        lossy = lossy_float(model, True, part)
        if lossy is not None:
            raise InvalidEnvelope(
                f"{lossy} of event {uuid} is NaN or infinite in a model that stores such "
                "floats as null, so it would not read back: give that model "
                "model_config = ConfigDict(ser_json_inf_nan='strings'), as Event has"
            )
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InvalidEnvelope(
            f"the {part} of event {uuid} nests {depth} levels deep, and at most "
            f"{MAX_JSON_DEPTH} can be read back: flatten it, or store the deep part as text"
        )
    if "\\u0000" in text:
        where = nul_at(json.loads(text), part)
        if where is not None:
            raise InvalidEnvelope(
                f"{where} of event {uuid} holds a NUL character (\\x00), which PostgreSQL "
                "cannot store (so no backend does): remove it, or encode the value (base64)"
            )
    return text
