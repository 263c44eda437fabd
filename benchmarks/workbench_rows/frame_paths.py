"""The two ways to get the whole store as one flat DataFrame that the events-frame row
compares, and the columns whose values must agree between them."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import pandas as pd

from event_sourcery import EventStore, Recorded, event_name
from workbench import Workbench

CHUNK = 20_000
"""Events per ``read_all`` in the naive path (the workbench reads as many per query)."""
CHECKED = (
    "position",
    "stream_id",
    "stream_name",
    "category",
    "version",
    "type",
    "event_uuid",
    "correlation_id",
    "data.customer.id",
    "data.customer.address.city",
    "data.amount",
    "data.items",
    "data.seats",
)
"""Compared value by value (untimed); missing values (None, NaN, NA) count as equal."""


def ours(store: EventStore) -> pd.DataFrame:
    """The workbench's events frame (no progress bar: nobody watches the child)."""
    return Workbench(store).events(progress=False)


def naive(store: EventStore) -> pd.DataFrame:
    """What one writes without the workbench: typed events read in chunks, each dumped
    with its envelope into one list of dicts, flattened by ``pd.json_normalize``."""
    rows: list[dict[str, Any]] = []
    after = 0
    while True:
        page = store.read_all(after, CHUNK)
        rows.extend(_row(recorded) for recorded in page)
        if len(page) < CHUNK:
            break
        after = page[-1].position
    return pd.json_normalize(rows)


def _row(recorded: Recorded[Any]) -> dict[str, Any]:
    context = recorded.context
    return {
        "position": recorded.position,
        "stream_id": str(recorded.stream_id.uuid),
        "stream_name": recorded.stream_id.name,
        "category": recorded.stream_id.category,
        "version": recorded.version,
        "type": event_name(type(recorded.event)),
        "created_at": recorded.created_at,
        "event_uuid": str(recorded.uuid),
        "correlation_id": _text(context.correlation_id),
        "causation_id": _text(context.causation_id),
        "data": recorded.event.model_dump(),
    }


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def check_values(frame: pd.DataFrame) -> dict[str, Any]:
    """What the parent compares: row count, the ``data.*`` column names and the
    ``CHECKED`` columns as plain Python values."""
    columns = {
        name: [_plain(value) for value in frame[name].tolist()] if name in frame else None
        for name in CHECKED
    }
    data = sorted(name for name in frame.columns if name.startswith("data."))
    return {"rows": len(frame), "data_columns": data, "columns": columns}


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return value
