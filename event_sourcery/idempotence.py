"""Telling a retried append from a conflicting one.

An append whose acknowledgement was lost (the connection dropped after COMMIT) is retried
with the same event uuids. The store then refuses it (the stream moved, or the uuids are
taken); if every event is already stored where that append put it, the retry is the same
append and succeeds without writing anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from event_sourcery.errors import DuplicateEventId
from event_sourcery.records import RawEvent
from event_sourcery.storage.protocol import NewEvent, Storage
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


def already_appended(
    storage: Storage, stream: StreamId, expected: ExpectedVersion, events: Sequence[NewEvent]
) -> bool:
    """True when ``events`` are all stored as this append would have stored them: in
    ``stream``, one after the other from the expected version, with the same type, schema
    version and payload (context and time may differ: enrichers stamp them anew).

    False when the first is not stored (the refusal stands). Raises DuplicateEventId when
    it is but the batch is not stored as this append would have stored it.
    """
    head = storage.event(events[0].uuid)
    if head is None:  # a real conflict (one look, not one per event): the refusal stands
        return False
    stored = [head, *(storage.event(new.uuid) for new in events[1:])]
    first = _first_version(expected, stored[0])
    for offset, (new, raw) in enumerate(zip(events, stored, strict=True)):
        want = None if first is None else first + offset
        problem = _difference(stream, want, new, raw)
        if problem is not None:
            raise DuplicateEventId(
                stream,
                f"uuid {new.uuid} {problem}, so this is not a retry of the append that stored it",
            )
    return True


def _first_version(expected: ExpectedVersion, head: RawEvent | None) -> int | None:
    if not expected.versioned:
        return None
    if expected.exact is not None:
        return expected.exact + 1
    # ANY: the retry is the same append if the batch sits together wherever it landed.
    return head.version if head is not None else None


def _difference(
    stream: StreamId, version: int | None, new: NewEvent, raw: RawEvent | None
) -> str | None:
    """What keeps ``raw`` from being ``new`` stored by this append, or None."""
    if raw is None:
        return "is new while others of the batch are already stored"
    if (raw.stream_id.uuid, raw.stream_id.category) != (stream.uuid, stream.category):
        return f"is stored in another stream ({raw.stream_id})"
    if raw.version != version:
        return f"is stored at version {raw.version}, not {version}"
    if (raw.type, raw.schema_version) != (new.type, new.schema_version):
        stored, given = (raw.type, raw.schema_version), (new.type, new.schema_version)
        return "is stored as {} v{}, not {} v{}".format(*stored, *given)
    if raw.data_json != new.data_json and _document(raw.data_json) != _document(new.data_json):
        return "is stored with a different payload"
    return None


def _document(text: str) -> object:
    """JSON text as a value to compare: PostgreSQL's JSONB spaces and orders keys its own
    way and prints numbers as decimals (6.02e23 as 602000000000000000000000), so numbers
    are read as Decimals, equal when their values are."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)
