"""Snapshots: every stored snapshot with its audit status (drifted ones highlighted), a
snapshot's stored state beside the rebuilt one, and the diff between two snapshots."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param

from workbench.dashboard.shown import json_pane, note, say, show, table
from workbench.dashboard.state import DashboardState
from workbench.display import stream_options
from workbench.errors import WorkbenchError
from workbench.snapshots import SnapshotStatus

DRIFT_STYLE = "background-color: #fde2e1; font-weight: bold"
"""How a drifted snapshot's row stands out."""


def highlight_drift(row: pd.Series[Any]) -> list[str]:
    """The CSS of each cell of an audit row: highlighted when the snapshot drifted."""
    drifted = row.get("status") == SnapshotStatus.DRIFT.value
    return [DRIFT_STYLE if drifted else "" for _ in row]


class SnapshotsView(pn.viewable.Viewer):
    """The snapshot audit; pick a row to compare it, or two versions of a stream."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        self.audit = state.wb.audit_snapshots()
        self.audit_table = table(self.audit, selectable=1)
        styler = self.audit_table.style
        if styler is not None:  # None only without a frame
            styler.apply(highlight_drift, axis=1)
        self.comparison = note("Pick a snapshot to compare it with its events.")
        self.stored_pane = json_pane()
        self.rebuilt_pane = json_pane()
        self.diff_table = table()
        streams = stream_options(self.audit.drop_duplicates("stream_id"))
        self.between_stream = pn.widgets.Select(label="Stream", options=streams)
        self.older = pn.widgets.Select(label="From version", options=[])
        self.newer = pn.widgets.Select(label="To version", options=[])
        self.between = pn.widgets.Button(label="Diff the two snapshots", color="primary")
        self.between_note = note("")
        self.between_table = table()
        self.audit_table.param.watch(self._selected, "selection")
        self.between_stream.param.watch(self._versions, "value")
        self.between.on_click(self._diff_between)
        self._versions()

    def __panel__(self) -> pn.viewable.Viewable:
        side_by_side = pn.Row(
            pn.Column("### Stored", self.stored_pane),
            pn.Column("### Rebuilt from the events", self.rebuilt_pane),
        )
        pickers = pn.Row(self.between_stream, self.older, self.newer, self.between)
        return pn.Column(
            "## Snapshots",
            self.audit_table,
            self.comparison,
            side_by_side,
            self.diff_table,
            "## Between two snapshots",
            pickers,
            self.between_note,
            self.between_table,
            sizing_mode="stretch_width",
        )

    def _selected(self, event: param.parameterized.Event) -> None:
        if not event.new:
            return
        row = self.audit.iloc[event.new[0]]
        stream, version = str(row["stream_id"]), int(row["version"])
        self.state.stream = stream
        try:
            compared = self.state.wb.compare_snapshot(stream, version)
        except WorkbenchError as error:
            say(self.comparison, f"Cannot compare: {error}")
            return
        name = compared.stream.name or str(compared.stream.uuid)
        summary = f"{name} at version {version}: {compared.status.value}"
        say(self.comparison, summary + (f" ({compared.reason})" if compared.reason else ""))
        self.stored_pane.object = compared.stored or {}
        self.rebuilt_pane.object = compared.rebuilt or {}
        show(self.diff_table, compared.diff.to_frame())

    def _versions(self, *_: object) -> None:
        chosen = self.audit[self.audit["stream_id"] == self.between_stream.value]
        versions = sorted(int(v) for v in chosen["version"])
        self.older.options = versions
        self.newer.options = versions
        if versions:
            self.older.value, self.newer.value = versions[0], versions[-1]

    def _diff_between(self, _: object) -> None:
        stream, old, new = self.between_stream.value, self.older.value, self.newer.value
        if not stream or old is None or new is None:
            say(self.between_note, "Pick a stream with snapshots and two versions.")
            return
        try:
            changes = self.state.wb.diff_snapshots(stream, int(old), int(new))
        except WorkbenchError as error:
            say(self.between_note, f"Cannot diff: {error}")
            return
        say(self.between_note, f"Version {old} to {new}: {len(changes)} paths changed.")
        show(self.between_table, changes.to_frame())
