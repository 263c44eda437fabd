"""StoreSummary: the few numbers an overview starts with, from cheap reads only (the
stream catalogue, outbox counts, the readers' horizon, a window of recent events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from event_sourcery import EntryStatus, Horizon
from workbench.workbench import Workbench

RECENT = 50_000
"""Events (by position) the activity chart looks back over."""


@dataclass(frozen=True, eq=False)
class StoreSummary:
    """Counts, the streams by category, recent activity by type and day, outbox counts and
    how far readers of the whole store are held back."""

    events: int
    streams: int
    types: int
    """Types among the recent events."""
    by_category: pd.DataFrame
    """category, streams, events."""
    activity: pd.DataFrame
    """Recent events per day (index, UTC) by type (columns)."""
    outbox: dict[EntryStatus, int]
    horizon: Horizon

    @property
    def held_back(self) -> int:
        """Positions readers cannot see yet (writers in flight)."""
        return self.horizon.held_back


def store_summary(wb: Workbench, recent: int = RECENT) -> StoreSummary:
    """The summary of ``wb``'s store; activity over the last ``recent`` positions."""
    store = wb.store
    streams = wb.streams()
    horizon = store.horizon()
    window = wb.events(after=max(horizon.position - recent, 0), payload=False, progress=False)
    by_category = (
        streams.assign(category=streams["category"].fillna("(none)"))
        .groupby("category", as_index=False)
        .agg(streams=("stream_id", "size"), events=("events", "sum"))
        .sort_values("events", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    return StoreSummary(
        events=int(streams["events"].sum()),
        streams=len(streams),
        types=int(window["type"].nunique()),
        by_category=by_category,
        activity=_per_day(window),
        outbox=store.outbox.counts(),
        horizon=horizon,
    )


def _per_day(events: pd.DataFrame) -> pd.DataFrame:
    if events.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="day"))
    days = events["created_at"].dt.floor("D").rename("day")
    counts: Any = events.groupby([days, "type"], observed=True).size()
    frame: pd.DataFrame = counts.unstack("type", fill_value=0)
    return frame
