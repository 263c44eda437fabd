"""Snapshots against the events: a stored snapshot's state next to the state the aggregate
class rebuilds from the events up to its version, and an audit of every snapshot."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from event_sourcery import Aggregate, EventStore, EventStoreError, RawEvent, StreamId
from workbench.diff import Diff, diff
from workbench.frames import MAX_NESTING, stored_json, text_column, utc_times
from workbench.state import State

SNAPSHOT_COLUMNS = (
    "stream_id",
    "stream_name",
    "category",
    "version",
    "created_at",
    "type",
    "schema_version",
    "position",
)


class SnapshotStatus(StrEnum):
    """How a stored snapshot compares with the events."""

    MATCH = "match"
    DRIFT = "drift"
    """The stored state differs from the state rebuilt from the events."""
    UNDECODABLE = "undecodable"
    """The snapshot, or an event before it, cannot be read with today's classes."""


@dataclass(frozen=True)
class SnapshotComparison:
    """One snapshot next to the state rebuilt from the events up to its version."""

    stream: StreamId
    version: int
    type: str
    status: SnapshotStatus
    stored: State | None
    rebuilt: State | None
    diff: Diff = field(default_factory=lambda: Diff(()))
    reason: str | None = None
    """Why it is undecodable."""

    @property
    def matches(self) -> bool:
        """The stored state is the rebuilt one."""
        return self.status is SnapshotStatus.MATCH

    def _repr_html_(self) -> str:
        name = html.escape(self.stream.name or str(self.stream.uuid))
        head = (
            f"<p>Snapshot of <b>{name}</b> at version {self.version} "
            f"({html.escape(self.type)}): <b>{self.status.value}</b></p>"
        )
        if self.status is SnapshotStatus.UNDECODABLE:
            return head + f"<p>{html.escape(self.reason or '')}</p>"
        return head + self.diff._repr_html_()


def snapshots_frame(raws: Sequence[RawEvent]) -> pd.DataFrame:
    """One row per stored snapshot: its stream, version, time, class name and schema."""
    return pd.DataFrame(
        {
            "stream_id": text_column([str(raw.stream_id.uuid) for raw in raws]),
            "stream_name": text_column([raw.stream_id.name for raw in raws]),
            "category": text_column([raw.stream_id.category for raw in raws]),
            "version": pd.Series([raw.version for raw in raws], dtype="int64"),
            "created_at": utc_times([raw.created_at for raw in raws]),
            "type": pd.Categorical([raw.type for raw in raws]),
            "schema_version": pd.Series([raw.schema_version for raw in raws], dtype="int64"),
            "position": pd.Series([raw.position for raw in raws], dtype="int64"),
        },
        columns=list(SNAPSHOT_COLUMNS),
    )


def compare(
    store: EventStore, raw: RawEvent, aggregate: Callable[[], Aggregate]
) -> SnapshotComparison:
    """The snapshot ``raw`` against ``aggregate`` rebuilt from its stream's events up to the
    snapshot's version (events only: no snapshot takes part in the rebuild)."""
    stream, version = raw.stream_id, raw.version or 0
    try:
        [stored_record] = store.decode([raw], snapshots=True)
        stored = _jsonable(stored_record.event)
        instance = aggregate()
        records = store.load_stream(stream, stop=version + 1, snapshots=False)
    except EventStoreError as error:  # the snapshot's row or an event's cannot be read
        return unknown(raw, str(error))
    try:
        for record in records:
            instance.__apply__(record.event)
        rebuilt = _jsonable(instance.__snapshot__())
    except Exception as error:  # the audit goes on to the next snapshot
        cause = f"rebuilding {type(instance).__qualname__} raised {type(error).__name__}: {error}"
        return unknown(raw, cause)
    changes = diff(stored, rebuilt)
    status = SnapshotStatus.DRIFT if changes else SnapshotStatus.MATCH
    return SnapshotComparison(stream, version, raw.type, status, stored, rebuilt, changes)


def unknown(raw: RawEvent, reason: str) -> SnapshotComparison:
    """A snapshot that cannot be compared (no aggregate class rebuilds its stream)."""
    return SnapshotComparison(
        raw.stream_id,
        raw.version or 0,
        raw.type,
        SnapshotStatus.UNDECODABLE,
        None,
        None,
        reason=reason,
    )


def audit_frame(comparisons: Sequence[SnapshotComparison]) -> pd.DataFrame:
    """One row per comparison: the snapshot, its status, how many paths drifted and which."""
    return pd.DataFrame(
        {
            "stream_id": text_column([str(c.stream.uuid) for c in comparisons]),
            "stream_name": text_column([c.stream.name for c in comparisons]),
            "category": text_column([c.stream.category for c in comparisons]),
            "version": pd.Series([c.version for c in comparisons], dtype="int64"),
            "type": pd.Categorical([c.type for c in comparisons]),
            "status": pd.Categorical(
                [c.status.value for c in comparisons], categories=[s.value for s in SnapshotStatus]
            ),
            "drifted_paths": pd.Series([len(c.diff) for c in comparisons], dtype="int64"),
            "paths": text_column([", ".join(c.diff.paths) for c in comparisons]),
            "reason": text_column([c.reason for c in comparisons]),
        }
    )


def snapshot_state(store: EventStore, raw: RawEvent) -> State:
    """A stored snapshot's state as JSON-like values: decoded (and upcast) through the
    registry when its class is known, else its payload as stored."""
    try:
        [record] = store.decode([raw], snapshots=True)
    except EventStoreError:
        stored, problem = stored_json(raw.data_json, MAX_NESTING)
        if problem is not None:  # a row the store did not write: its text, and why
            return {"undecodable": problem, "stored": stored}
        return stored if isinstance(stored, dict) else {"value": stored}
    return _jsonable(record.event)


def _jsonable(event: Any) -> State:
    state: State = event.model_dump(mode="json")
    return state
