"""Stored events as pandas DataFrames, built straight from raw rows: JSON parsed once, no
event class involved, so unknown types and old schema versions show as stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import orjson
import pandas as pd

from event_sourcery import RawEvent, UnreadableTime, collector_paused
from workbench.flatten import flatten_columns

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
UNDECODABLE = "undecodable"
"""The column, present only when some row needs it, saying why a row's payload or context
could not be parsed (a row the store did not write); that payload is kept, as stored
text, in the ``data`` column. Unknown types and schema versions need no parsing: such
rows show as stored."""
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
    with collector_paused():  # millions of short-lived dicts, no cycles among them
        frames = [_chunk_frame(chunk, payload) for chunk in chunks if chunk]
        if not frames:
            return _typed(_empty_envelope())
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        _keep_whole_numbers(frame)
        return _typed(frame)


def _chunk_frame(raws: Sequence[RawEvent], with_payload: bool) -> pd.DataFrame:
    uuids, streams, versions, positions, types, schemas, datas, contexts, times = zip(
        *raws, strict=True
    )
    stream_text: dict[UUID, str] = {}  # many events share a stream: one str() each
    loads = orjson.loads
    problems: list[str | None] = [None] * len(raws)
    try:
        parsed = [{} if text == _EMPTY_CONTEXT else loads(text) for text in contexts]
        if not all(type(context) is dict for context in parsed):
            raise TypeError("a context that is not an object")
    except (orjson.JSONDecodeError, TypeError):  # a row the store did not write: one by one
        parsed = [_context(text, index, problems) for index, text in enumerate(contexts)]
    if UnreadableTime in set(map(type, times)):  # a row the store did not write
        times = tuple(_time(time, index, problems) for index, time in enumerate(times))
    envelope = pd.DataFrame(
        {
            "position": positions,
            "stream_id": [
                stream_text.get(s.uuid) or stream_text.setdefault(s.uuid, str(s.uuid))
                for s in streams
            ],
            "stream_name": [s.name for s in streams],
            "category": [s.category for s in streams],
            "version": versions,
            "type": types,
            "created_at": times,
            "event_uuid": list(map(str, uuids)),
            "correlation_id": [c.get("correlation_id") for c in parsed],
            "causation_id": [c.get("causation_id") for c in parsed],
            "schema_version": schemas,
        }
    )
    if with_payload:
        try:
            payloads = list(map(loads, datas))
        except (orjson.JSONDecodeError, TypeError):
            payloads = [_payload(text, index, problems) for index, text in enumerate(datas)]
    if any(problems):
        envelope[UNDECODABLE] = problems
    if not with_payload:
        return envelope
    columns = flatten_columns(payloads, DATA_PREFIX, len(datas))
    if not columns:
        return envelope
    return pd.concat([envelope, pd.DataFrame(columns, index=envelope.index)], axis=1)


MAX_NESTING = 200
"""How deeply a parsed payload may nest for the views that walk it (time travel, diffs):
as deep as the store itself reads."""


def stored_json(text: object, max_nesting: int | None = None) -> tuple[Any, str | None]:
    """A stored payload or context parsed, and None; or, for a row whose JSON is malformed
    (or nests deeper than ``max_nesting``: a row the store did not write), the text as
    stored and what is wrong with it."""
    try:
        value = orjson.loads(text)  # type: ignore[arg-type]
    except (orjson.JSONDecodeError, TypeError) as error:
        return text, f"not valid JSON ({error})"
    if max_nesting is not None and _nesting(value) > max_nesting:
        return text, f"nests deeper than {max_nesting} levels"
    return value, None


def _nesting(value: Any) -> int:
    """How deeply ``value`` nests lists and dicts (without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if type(item) is dict:
            children: Iterable[Any] = item.values()
        elif type(item) is list:
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _payload(text: object, index: int, problems: list[str | None]) -> Any:
    value, problem = stored_json(text)
    if problem is not None:
        problems[index] = _joined(problems[index], f"payload: {problem}")
    return value


def _context(text: object, index: int, problems: list[str | None]) -> dict[str, Any]:
    if text == _EMPTY_CONTEXT:
        return {}
    value, problem = stored_json(text)
    if problem is None and type(value) is not dict:
        problem = f"a JSON {type(value).__name__}, not an object"
    if problem is not None:
        problems[index] = _joined(problems[index], f"context: {problem}")
        return {}
    return value  # type: ignore[no-any-return]


def _time(time: datetime, index: int, problems: list[str | None]) -> datetime | None:
    if type(time) is UnreadableTime:
        problems[index] = _joined(problems[index], time.problem)
        return None
    return time


def _joined(before: str | None, problem: str) -> str:
    return problem if before is None else f"{before}; {problem}"


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
    if UNDECODABLE in frame:
        frame[UNDECODABLE] = frame[UNDECODABLE].astype(TEXT)
    return frame


def utc_times(values: Iterable[datetime | None] | pd.Series[Any]) -> pd.Series[Any]:
    """Aware moments (None, or a stored time that is not one: NaT) as a column of UTC
    microseconds, whatever their offsets."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(UTC_TIME)  # already times: no round trip
    listed = list(values)
    if UnreadableTime in set(map(type, listed)):
        listed = [None if type(value) is UnreadableTime else value for value in listed]
    return pd.to_datetime(pd.Series(listed, dtype=object), utc=True).astype(UTC_TIME)


def text_column(values: Iterable[str | None]) -> pd.Series[Any]:
    """Text values (None: missing) as a column of pandas' string dtype."""
    return pd.Series(list(values), dtype=TEXT)
