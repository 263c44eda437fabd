"""Stored events as pandas DataFrames, built straight from raw rows: JSON parsed once, no
event class involved, so unknown types and old schema versions show as stored."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import pandas as pd

from event_sourcery import RawEvent
from workbench.flatten import flatten

ENVELOPE_COLUMNS = (
    "position",
    "stream_id",
    "stream_name",
    "category",
    "version",
    "type",
    "created_at",
    "event_uuid",
    "correlation_id",
    "causation_id",
    "schema_version",
)
"""The columns every events frame starts with; the payload's ``data.*`` columns follow."""
DATA_PREFIX = "data."
UTC_TIME: Final = "datetime64[us, UTC]"
"""The dtype of every time column the workbench gives."""
TEXT: Final = "str"
"""The dtype of every text column (pandas' string dtype: missing values are NaN)."""
_EMPTY_CONTEXT = "{}"
_TEXT_COLUMNS = (
    "stream_id",
    "stream_name",
    "category",
    "event_uuid",
    "correlation_id",
    "causation_id",
)


def events_frame(chunks: Iterable[Sequence[RawEvent]], *, payload: bool = True) -> pd.DataFrame:
    """One row per event of ``chunks`` (in the order given), payloads flattened into
    ``data.*`` columns unless ``payload`` is False; chunks keep the intermediate Python
    objects small."""
    frames = [_chunk_frame(chunk, payload) for chunk in chunks if chunk]
    if not frames:
        return _typed(_empty_envelope())
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    _keep_whole_numbers(frame)
    return _typed(frame)


def _chunk_frame(raws: Sequence[RawEvent], with_payload: bool) -> pd.DataFrame:
    columns: dict[str, list[Any]] = {name: [] for name in ENVELOPE_COLUMNS}
    position, stream_id, stream_name = (
        columns["position"],
        columns["stream_id"],
        columns["stream_name"],
    )
    category, version, type_ = columns["category"], columns["version"], columns["type"]
    created_at, event_uuid = columns["created_at"], columns["event_uuid"]
    correlation, causation = columns["correlation_id"], columns["causation_id"]
    schema_version = columns["schema_version"]
    payloads: list[dict[str, Any]] = []
    loads = json.loads
    for raw in raws:
        stream = raw.stream_id
        position.append(raw.position)
        stream_id.append(str(stream.uuid))
        stream_name.append(stream.name)
        category.append(stream.category)
        version.append(raw.version)
        type_.append(raw.type)
        created_at.append(raw.created_at)
        event_uuid.append(str(raw.uuid))
        schema_version.append(raw.schema_version)
        if raw.context_json == _EMPTY_CONTEXT:
            correlation.append(None)
            causation.append(None)
        else:
            context = loads(raw.context_json)
            correlation.append(context.get("correlation_id"))
            causation.append(context.get("causation_id"))
        if with_payload:
            data = loads(raw.data_json)
            payloads.append(flatten(data, DATA_PREFIX) if type(data) is dict else {"data": data})
    envelope = pd.DataFrame(columns)
    if not with_payload:
        return envelope
    payload = pd.DataFrame(payloads, index=envelope.index)
    return pd.concat([envelope, payload], axis=1) if len(payload.columns) else envelope


def _keep_whole_numbers(payload: pd.DataFrame) -> None:
    """Whole numbers missing from some rows read as floats: make such columns nullable
    integers again (in place)."""
    for name in payload.columns:
        if not name.startswith(DATA_PREFIX):
            continue
        column = payload[name]
        if column.dtype == "float64" and column.hasnans:
            present = column.dropna()
            if (present == present.round()).all() and present.abs().max() < 2**53:
                payload[name] = column.astype("Int64")


def _empty_envelope() -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in ENVELOPE_COLUMNS})


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The envelope columns' dtypes, whatever the rows held: UTC times, nullable versions,
    categorical types."""
    frame["position"] = frame["position"].astype("int64")
    frame["version"] = frame["version"].astype("Int64")
    frame["schema_version"] = frame["schema_version"].astype("int64")
    frame["type"] = frame["type"].astype("category")
    frame["created_at"] = utc_times(frame["created_at"])
    for name in _TEXT_COLUMNS:
        frame[name] = frame[name].astype(TEXT)
    return frame


def utc_times(values: Iterable[datetime | None]) -> pd.Series[Any]:
    """Aware moments (None: NaT) as a column of UTC microseconds, whatever their offsets."""
    return pd.to_datetime(pd.Series(list(values), dtype=object), utc=True).astype(UTC_TIME)


def text_column(values: Iterable[str | None]) -> pd.Series[Any]:
    """Text values (None: missing) as a column of pandas' string dtype."""
    return pd.Series(list(values), dtype=TEXT)
