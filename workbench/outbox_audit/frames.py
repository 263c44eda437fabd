"""Outbox entries and delivery attempts as typed DataFrames: UTC times, categorical
statuses and outcomes, latencies and durations as timedeltas."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final
from uuid import UUID

import pandas as pd

from event_sourcery import (
    Attempt,
    EntryStatus,
    Event,
    EventStore,
    InvalidOutboxSetting,
    InvalidRange,
    OutboxEntry,
    Outcome,
    StreamId,
)
from workbench.errors import InvalidFilter
from workbench.frames import TEXT, text_column, utc_times

DURATION: Final = "timedelta64[us]"
STATUSES = pd.CategoricalDtype([status.value for status in EntryStatus])
OUTCOMES = pd.CategoricalDtype([outcome.value for outcome in Outcome])

ENTRY_COLUMNS = (
    "position",
    "event_uuid",
    "stream_id",
    "category",
    "version",
    "type",
    "status",
    "attempts",
    "failures",
    "created_at",
    "next_attempt_at",
    "delivered_at",
    "last_error",
    "last_error_type",
    "leased_by",
    "delivery_latency",
)
"""The columns of ``outbox_frame``, in order."""
ATTEMPT_COLUMNS = (
    "position",
    "number",
    "relay_id",
    "started_at",
    "finished_at",
    "duration",
    "outcome",
    "error_type",
    "error_message",
    "replay",
)
"""The columns of ``attempts_frame``, in order."""

# The relay stores an entry's last error as "<exception qualname>: <message>".
_ERROR_TYPE = re.compile(r"([A-Za-z_][\w.<>]*): ")

EntryRef = OutboxEntry | int | UUID | str
"""One entry: itself, its position, or its event's uuid (a UUID or its text)."""


def outbox_frame(
    store: EventStore,
    *,
    status: EntryStatus | str | None = None,
    stream: UUID | StreamId | None = None,
    types: Iterable[type[Event] | str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    positions: Iterable[int] | None = None,
) -> pd.DataFrame:
    """One row per outbox entry in position order, narrowed as ``Outbox.entries`` narrows
    them (``since <= created_at < until``; an entry's position is its event's); see
    ``ENTRY_COLUMNS``."""
    chosen = entry_status(status)
    try:
        found = store.outbox.entries(
            chosen,
            stream=stream,
            types=types,
            since=since,
            until=until,
            limit=limit,
            positions=positions,
        )
    except (InvalidOutboxSetting, InvalidRange) as error:
        raise InvalidFilter(str(error)) from error
    return entries_frame(found)


def attempts_frame(store: EventStore, entry: EntryRef | None = None) -> pd.DataFrame:
    """Every delivery attempt (or those of one entry), by position then number; see
    ``ATTEMPT_COLUMNS``."""
    if entry is None:
        found = store.outbox.attempts()
    else:
        found = store.outbox.attempts(_position_of(store, entry))
    return attempts_to_frame(found)


def entry_status(status: EntryStatus | str | None) -> EntryStatus | None:
    """``status`` as an EntryStatus; InvalidFilter when it names none."""
    if status is None or isinstance(status, EntryStatus):
        return status
    if isinstance(status, str) and status in STATUSES.categories:
        return EntryStatus(status)
    known = ", ".join(repr(s.value) for s in EntryStatus)
    raise InvalidFilter(f"status={status!r} is not an outbox status: use one of {known}")


def entries_frame(entries: Sequence[OutboxEntry]) -> pd.DataFrame:
    """``entries`` as the rows of an ``outbox_frame``."""
    frame = pd.DataFrame(
        {
            "position": pd.Series([e.position for e in entries], dtype="int64"),
            "event_uuid": text_column(str(e.event_uuid) for e in entries),
            "stream_id": text_column(str(e.stream_id.uuid) for e in entries),
            "category": text_column(e.stream_id.category for e in entries),
            "version": pd.Series([e.version for e in entries], dtype="Int64"),
            "type": pd.Series([e.type for e in entries], dtype=TEXT).astype("category"),
            "status": pd.Series([e.status.value for e in entries], dtype=STATUSES),
            "attempts": pd.Series([e.attempts for e in entries], dtype="int64"),
            "failures": pd.Series([e.failures for e in entries], dtype="int64"),
            "created_at": utc_times(e.created_at for e in entries),
            "next_attempt_at": utc_times(e.next_attempt_at for e in entries),
            "delivered_at": utc_times(e.delivered_at for e in entries),
            "last_error": text_column(e.last_error for e in entries),
            "last_error_type": text_column(error_type(e.last_error) for e in entries),
            "leased_by": text_column(e.leased_by for e in entries),
        }
    )
    frame["delivery_latency"] = (frame["delivered_at"] - frame["created_at"]).astype(DURATION)
    return frame


def attempts_to_frame(attempts: Sequence[Attempt]) -> pd.DataFrame:
    """``attempts`` as the rows of an ``attempts_frame``, by position then number."""
    frame = pd.DataFrame(
        {
            "position": pd.Series([a.position for a in attempts], dtype="int64"),
            "number": pd.Series([a.number for a in attempts], dtype="int64"),
            "relay_id": text_column(a.relay_id for a in attempts),
            "started_at": utc_times(a.started_at for a in attempts),
            "finished_at": utc_times(a.finished_at for a in attempts),
            "outcome": pd.Series([a.outcome.value for a in attempts], dtype=OUTCOMES),
            "error_type": text_column(a.error_type for a in attempts),
            "error_message": text_column(a.error_message for a in attempts),
            "replay": pd.Series([a.replay for a in attempts], dtype="bool"),
        }
    )
    frame.insert(5, "duration", (frame["finished_at"] - frame["started_at"]).astype(DURATION))
    return frame.sort_values(["position", "number"], kind="stable", ignore_index=True)


def error_type(last_error: str | None) -> str | None:
    """The exception type named at the start of a stored last error ("Type: message")."""
    if last_error is None:
        return None
    found = _ERROR_TYPE.match(last_error)
    return found.group(1) if found else None


def _position_of(store: EventStore, entry: EntryRef) -> int:
    if isinstance(entry, OutboxEntry):
        return entry.position
    if isinstance(entry, int) and not isinstance(entry, bool):
        if entry < 1:
            raise InvalidFilter(f"entry={entry!r} is not an outbox position (they start at 1)")
        return entry
    if isinstance(entry, UUID | str):
        return _position_of_event(store, entry)
    raise InvalidFilter(
        f"entry={entry!r} is not an outbox entry, a position or an event uuid: give one of those"
    )


def _position_of_event(store: EventStore, event: UUID | str) -> int:
    try:
        wanted = event if isinstance(event, UUID) else UUID(event)
    except ValueError:
        raise InvalidFilter(f"entry={event!r} is not an event uuid") from None
    # The outbox has no lookup by event uuid: look through the entries.
    for found in store.outbox.entries():
        if found.event_uuid == wanted:
            return found.position
    raise InvalidFilter(f"no outbox entry for event {wanted}: was it appended with the outbox on?")
