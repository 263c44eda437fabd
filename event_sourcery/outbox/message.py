"""How an outbox publisher presents a recorded event to a broker: a JSON body and a routing key."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from event_sourcery.event import Event
from event_sourcery.records import Recorded

UNCATEGORIZED = "uncategorized"
"""The routing key prefix of events whose stream has no category."""


def message_body(record: Recorded[Event], type_name: str) -> dict[str, Any]:
    """The JSON-ready body of ``record``: identity, stream, place, time, context and payload,
    so that a consumer needs nothing but the message."""
    stream = record.stream_id
    return {
        "uuid": str(record.uuid),
        "type": type_name,
        "schema_version": type(record.event).__schema_version__,
        "stream": {"uuid": str(stream.uuid), "name": stream.name, "category": stream.category},
        "version": record.version,
        "position": record.position,
        "created_at": record.created_at.astimezone(UTC).isoformat(),
        "context": _json(record.context.model_dump_json(exclude_none=True)),
        # Through JSON text, as the store writes it: NaN and infinities become strings.
        "data": _json(record.event.model_dump_json()),
    }


def encode_message(record: Recorded[Event], type_name: str) -> bytes:
    """``message_body`` as compact UTF-8 JSON."""
    text = json.dumps(
        message_body(record, type_name), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode()


def routing_key(category: str | None, type_name: str) -> str:
    """``category.Type``, so that topic bindings can pick streams (``orders.#``) or types."""
    return f"{category if category is not None else UNCATEGORIZED}.{type_name}"


def _json(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value
