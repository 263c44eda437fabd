"""One event's whole story: where it sits, what caused it and what it caused, and whether
(and how) the outbox delivered it."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from event_sourcery import EventStore
from workbench.errors import InvalidFilter
from workbench.outbox_audit import outbox_frame
from workbench.outbox_audit.frames import attempts_to_frame


@dataclass(frozen=True, eq=False)
class Trace:
    """An event (envelope and payload as stored), its causation parent and children, and
    its outbox entry with every attempt (None and empty when it has no entry)."""

    event: dict[str, Any]
    parent: dict[str, Any] | None
    children: pd.DataFrame
    outbox: dict[str, Any] | None
    attempts: pd.DataFrame

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


def trace(store: EventStore, envelopes: pd.DataFrame, event_uuid: str) -> Trace:
    """The trace of ``event_uuid`` given the store's envelope frame (``payload=False``)."""
    found = envelopes[envelopes["event_uuid"] == event_uuid]
    if found.empty:
        raise InvalidFilter(f"no event with uuid {event_uuid} in the store")
    row = _record(found.iloc[0])
    [raw] = store.read_all_raw(after=row["position"] - 1, limit=1)
    row["data"] = json.loads(raw.data_json)
    row["context"] = json.loads(raw.context_json)
    cause = row["causation_id"]
    parents = envelopes[envelopes["event_uuid"] == cause] if cause is not None else found.iloc[0:0]
    children = envelopes[envelopes["causation_id"] == event_uuid].reset_index(drop=True)
    entries = outbox_frame(store, positions=[row["position"]])
    entry = None if entries.empty else _record(entries.iloc[0])
    attempts = attempts_to_frame(store.outbox.attempts(row["position"]) if entry else [])
    parent = None if parents.empty else _record(parents.iloc[0])
    return Trace(row, parent, children, entry, attempts)


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
