"""The outbox at a glance: entries by status, delivery latency, failures by error type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from math import isnan

import pandas as pd

from event_sourcery import EntryStatus, EventStore, Outcome
from workbench.errors import InvalidFilter
from workbench.frames import TEXT, UTC_TIME, utc_times
from workbench.outbox_audit.frames import DURATION, attempts_frame, outbox_frame

FAILURE_COLUMNS = ("error_type", "attempts", "entries", "last_seen", "last_message")
"""The columns of ``OutboxSummary.failures``, in order."""
_PERCENTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
_MESSAGE_WIDTH = 200


@dataclass(frozen=True, eq=False)
class OutboxSummary:
    """How an outbox stands ``as_of`` a moment; ``latency`` holds p50, p90, p99 and max of
    delivered entries (None when none is), ``failures`` one row per error type."""

    as_of: datetime
    counts: dict[EntryStatus, int]
    latency: dict[str, timedelta | None]
    failures: pd.DataFrame
    oldest_pending_age: timedelta | None

    @property
    def dead(self) -> int:
        """How many entries the relay gave up on."""
        return self.counts[EntryStatus.DEAD]

    @property
    def total(self) -> int:
        """How many entries the outbox holds."""
        return sum(self.counts.values())

    def to_frame(self) -> pd.DataFrame:
        """The summary as one typed row (failures aside), to compare or concatenate."""
        ages = {f"latency_{name}": [value] for name, value in self.latency.items()}
        frame = pd.DataFrame(
            {
                "as_of": utc_times([self.as_of]),
                **{status.value: [count] for status, count in self.counts.items()},
                "total": [self.total],
                **ages,
                "oldest_pending_age": [self.oldest_pending_age],
            }
        )
        for name in [*ages, "oldest_pending_age"]:
            frame[name] = frame[name].astype(DURATION)
        return frame

    def _repr_html_(self) -> str:
        """A short HTML summary for notebooks; every stored value is escaped."""
        counts = " · ".join(f"{n} {escape(s.value)}" for s, n in self.counts.items())
        latency = "".join(
            f"<td>latency {escape(name)}: {_text(value)}</td>"
            for name, value in self.latency.items()
        )
        rows = "".join(
            "<tr>" + "".join(f"<td>{_text(value)}</td>" for value in row) + "</tr>"
            for row in self.failures.itertuples(index=False)
        )
        head = "".join(f"<th>{escape(name)}</th>" for name in FAILURE_COLUMNS)
        failures = f"<table><tr>{head}</tr>{rows}</table>" if rows else "<p>No failures.</p>"
        return (
            f"<div><p><strong>Outbox</strong> as of {_text(self.as_of)}: {counts}; "
            f"oldest pending: {_text(self.oldest_pending_age)}</p>"
            f"<table><tr>{latency}</tr></table>{failures}</div>"
        )


def outbox_summary(store: EventStore, *, now: datetime | None = None) -> OutboxSummary:
    """Summarise ``store``'s outbox; pending ages are measured at ``now`` (an aware
    moment; the current time if None)."""
    if now is not None and (not isinstance(now, datetime) or now.utcoffset() is None):
        raise InvalidFilter(f"now={now!r} is not an aware datetime: give it a timezone")
    as_of = now or datetime.now(UTC)
    entries = outbox_frame(store)
    counts = entries["status"].value_counts(sort=False)
    delivered = entries.loc[entries["status"] == EntryStatus.DELIVERED.value, "delivery_latency"]
    pending = entries.loc[entries["status"] == EntryStatus.PENDING.value, "created_at"]
    return OutboxSummary(
        as_of=as_of,
        counts={status: int(counts[status.value]) for status in EntryStatus},
        latency=_latency(delivered.dropna()),
        failures=failures_frame(attempts_frame(store)),
        oldest_pending_age=None if pending.empty else as_of - pending.min().to_pydatetime(),
    )


def failures_frame(attempts: pd.DataFrame) -> pd.DataFrame:
    """Attempts that did not deliver, by error type (abandoned ones as "(abandoned)"): how
    many, of how many entries, the last seen and its message; most frequent first."""
    failed = attempts[attempts["outcome"] != Outcome.DELIVERED.value]
    outcome = "(" + failed["outcome"].astype(TEXT) + ")"
    failed = failed.assign(
        error_type=failed["error_type"].fillna(outcome),
        seen=failed["finished_at"].fillna(failed["started_at"]),
    ).sort_values(["seen", "position", "number"], kind="stable")
    table = (
        failed.groupby("error_type", sort=True)
        .agg(
            attempts=("position", "size"),
            entries=("position", "nunique"),
            last_seen=("seen", "max"),
            last_message=("error_message", "last"),
        )
        .reset_index()
        .sort_values(["attempts", "error_type"], ascending=[False, True], ignore_index=True)
    )
    return table.astype(
        {
            "error_type": TEXT,
            "attempts": "int64",
            "entries": "int64",
            "last_seen": UTC_TIME,
            "last_message": TEXT,
        }
    )[list(FAILURE_COLUMNS)]


def _latency(delivered: pd.Series[pd.Timedelta]) -> dict[str, timedelta | None]:
    if delivered.empty:
        return dict.fromkeys([name for name, _ in _PERCENTILES] + ["max"])
    micros = delivered.astype(DURATION).astype("int64")
    found = {name: float(micros.quantile(q)) for name, q in _PERCENTILES}
    found["max"] = float(micros.max())
    return {name: timedelta(microseconds=round(value)) for name, value in found.items()}


def _text(value: object) -> str:
    """``value`` as escaped HTML text, long messages cut short."""
    missing = value is None or value is pd.NaT or (isinstance(value, float) and isnan(value))
    shown = "—" if missing else str(value)
    if len(shown) > _MESSAGE_WIDTH:
        shown = shown[: _MESSAGE_WIDTH - 1] + "…"
    return escape(shown)
