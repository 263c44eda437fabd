"""Frames shaped for showing: cells as plain text for tables, the fields a plot or a picker
offers, stream labels, and a latency histogram."""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np
import pandas as pd

from workbench.frames import TEXT

TIMELINE_ENVELOPE: Final = ("version", "type", "created_at")
"""The columns ``Timeline.states()`` starts with, before the state's fields."""


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose object columns hold text (strings as they are, other values such as
    dicts and lists as JSON) and whose durations read as text; missing values stay missing."""
    shown = frame.copy()
    for name in shown.columns:
        column = shown[name]
        if column.dtype == object:
            shown[name] = pd.Series([_text(v) for v in column], index=shown.index, dtype=TEXT)
        elif pd.api.types.is_timedelta64_dtype(column):
            texts = [None if pd.isna(v) else str(v) for v in column]
            shown[name] = pd.Series(texts, index=shown.index, dtype=TEXT)
    return shown


def text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns holding text (strings, categories, objects): those a table must show
    as plain text."""
    return [
        str(name)
        for name in frame.columns
        if not (
            pd.api.types.is_numeric_dtype(frame[name])
            or pd.api.types.is_datetime64_any_dtype(frame[name])
            or pd.api.types.is_timedelta64_dtype(frame[name])
        )
    ]


def state_fields(states: pd.DataFrame) -> list[str]:
    """The state's fields in a ``Timeline.states()`` frame (its dotted paths)."""
    return [str(c) for c in states.columns if c not in TIMELINE_ENVELOPE]


def numeric_fields(states: pd.DataFrame) -> list[str]:
    """The state's fields that hold numbers (not booleans): those worth plotting."""
    return [
        name
        for name in state_fields(states)
        if pd.api.types.is_numeric_dtype(states[name])
        and not pd.api.types.is_bool_dtype(states[name])
    ]


def stream_options(streams: pd.DataFrame) -> dict[str, str]:
    """A label per stream of a ``Workbench.streams()`` frame (name, category, uuid), mapped
    to its uuid: what a stream picker searches."""
    options: dict[str, str] = {}
    for uuid, name, category in zip(
        streams["stream_id"], streams["stream_name"], streams["category"], strict=True
    ):
        parts = [p for p in (name, category) if isinstance(p, str)]
        options[" · ".join([*parts, uuid])] = uuid
    return options


def latency_histogram(entries: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """Delivered entries of an ``outbox_frame`` counted by delivery latency in seconds:
    one row per bin (``left``, ``right``, ``count``); empty when none was delivered."""
    seconds = entries["delivery_latency"].dropna().dt.total_seconds().to_numpy()
    if not len(seconds):
        return pd.DataFrame({"left": [], "right": [], "count": []}, dtype="float64")
    counts, edges = np.histogram(seconds, bins=bins)
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "count": counts})


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)
