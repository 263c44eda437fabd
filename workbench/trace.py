"""One event's whole story: where it sits, what caused it and what it caused, and whether
(and how) the outbox delivered it."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np
import pandas as pd

from event_sourcery import EventStore, RawEvent
from workbench import lineage
from workbench.errors import InvalidFilter
from workbench.frames import UNDECODABLE, events_frame, stored_json
from workbench.outbox_audit import outbox_frame
from workbench.outbox_audit.frames import attempts_to_frame

TRACE_WINDOW = 10_000
"""Events after a traced one that are searched for its children (effects follow causes
closely: the same append or the next few)."""


@dataclass(frozen=True, eq=False)
class Trace:
    """An event (envelope and payload as stored), its causation parent and children, and
    its outbox entry with every attempt (None and empty when it has no entry)."""

    event: dict[str, Any]
    parent: dict[str, Any] | None
    children: pd.DataFrame
    outbox: dict[str, Any] | None
    attempts: pd.DataFrame
    children_complete: bool = True
    """False when the children were looked for among the next ``TRACE_WINDOW`` events only
    and the store holds more after them."""

    def _repr_html_(self) -> str:
        event = self.event
        title = html.escape(
            f"{event['type']} — {event['stream_name'] or event['stream_id']} "
            f"v{event['version']} (position {event['position']})"
        )
        parent = "none" if self.parent is None else _label(self.parent)
        children = ", ".join(_label(_record(row)) for _, row in self.children.iterrows())
        children = children or "none"
        if self.outbox is None:
            delivery = "no outbox entry"
        else:
            delivery = f"{self.outbox['status']}, {len(self.attempts)} attempt(s)"
        return (
            f"<h4>{title}</h4><pre>{html.escape(json.dumps(event['data'], indent=2))}</pre>"
            f"<p>Caused by: {parent}</p><p>Caused: {children}</p>"
            f"<p>Outbox: {html.escape(delivery)}</p>"
        )


def trace(store: EventStore, event_uuid: str, window: int = TRACE_WINDOW) -> Trace:
    """The trace of ``event_uuid``: the event and its parent found by uuid, its children
    among the ``window`` events stored after it (``Trace.children_complete`` says whether
    that reached the store's end)."""
    raw = find_event(store, event_uuid)
    row = _record(events_frame([[raw]], payload=False).iloc[0])
    row["data"], data_problem = stored_json(raw.data_json)
    row["context"], _ = stored_json(raw.context_json)
    if data_problem is not None or row.get(UNDECODABLE) is not None:
        # A row the store did not write: its text as stored, and why it cannot be parsed.
        payload_problem = None if data_problem is None else f"payload: {data_problem}"
        row[UNDECODABLE] = "; ".join(p for p in (row.get(UNDECODABLE), payload_problem) if p)
    else:
        row[UNDECODABLE] = None
    cause = row["causation_id"]
    found = None if cause is None else _event_or_none(store, cause)
    parent = None if found is None else _record(events_frame([[found]], payload=False).iloc[0])
    later = store.read_all_raw(raw.position, window)
    envelopes = events_frame([later], payload=False)
    children = envelopes[envelopes["causation_id"] == str(raw.uuid)].reset_index(drop=True)
    entries = outbox_frame(store, positions=[row["position"]])
    entry = None if entries.empty else _record(entries.iloc[0])
    attempts = attempts_to_frame(store.outbox.attempts(row["position"]) if entry else [])
    complete = len(later) < window
    return Trace(row, parent, children, entry, attempts, complete)


def conversation(
    store: EventStore, correlation_id: str, near: UUID | str, window: int = TRACE_WINDOW
) -> pd.DataFrame:
    """The conversation's events (``lineage.correlated``) among ``window`` events: from
    the one that started it when it is stored, else around the event ``near``."""
    start = _event_or_none(store, correlation_id)
    if start is not None:
        after = start.position - 1
    else:
        after = max(0, find_event(store, near).position - window // 2)
    return lineage.correlated(events_frame([store.read_all_raw(after, window)]), correlation_id)


def find_event(store: EventStore, event_uuid: UUID | str) -> RawEvent:
    """The stored event with this uuid (or its text); InvalidFilter when there is none."""
    found = _event_or_none(store, event_uuid)
    if found is None:
        raise InvalidFilter(f"no event with uuid {event_uuid} in the store")
    return found


def _event_or_none(store: EventStore, event_uuid: UUID | str) -> RawEvent | None:
    try:
        uuid = event_uuid if isinstance(event_uuid, UUID) else UUID(str(event_uuid))
    except ValueError:
        raise InvalidFilter(f"event uuid {event_uuid!r} is not a uuid") from None
    return store.event_raw(uuid)


def _record(row: pd.Series[Any]) -> dict[str, Any]:
    """A frame row as a dict of Python values, missing ones as None."""
    return {str(key): _python(value) for key, value in row.items()}


def _python(value: Any) -> Any:
    if _missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _label(row: dict[str, Any]) -> str:
    return html.escape(f"{row['type']} ({row['event_uuid']})")
