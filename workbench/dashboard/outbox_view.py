"""The outbox: entries by status with filters, the summary, a latency histogram, failures by
error type, one entry's attempts, and replay — a dry run first, then an explicit confirmation
(absent from a read-only dashboard)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import panel as pn
import param

from event_sourcery import EntryStatus
from workbench.dashboard.outbox_charts import attempts_figure, latency_figure
from workbench.dashboard.shown import note, renewed, say, show, table
from workbench.dashboard.state import DashboardState
from workbench.display import latency_histogram
from workbench.errors import WorkbenchError

ALL = "all"
"""The status filter's choice for every entry."""


class OutboxView(pn.viewable.Viewer):
    """Outbox entries and their delivery; replay when the dashboard may write."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        wb = state.wb
        self.entries = pd.DataFrame()
        self.preview = pd.DataFrame()
        self.status = pn.widgets.Select(
            label="Status", options=[ALL, *(s.value for s in EntryStatus)], value=ALL
        )
        self.types = pn.widgets.MultiChoice(
            label="Types", options=sorted(str(t) for t in wb.types()["type"])
        )
        self.since = pn.widgets.DatetimePicker(label="Created since (UTC)", value=None)
        self.note = note("")
        self.entries_table = table(selectable="checkbox", page_size=20)
        summary = wb.outbox_summary()
        self.summary_table = table(summary.to_frame())
        self.failures_table = table(summary.failures)
        self.latency_plot = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.attempts_title = note("Select an entry to see its attempts.")
        self.attempts_table = table()
        self.attempts_plot = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.dry_run = pn.widgets.Button(label="Dry run: preview a replay")
        self.preview_note = note("")
        self.preview_table = table()
        self.preview_box = pn.Column(self.preview_table, sizing_mode="stretch_width")
        self.confirm: pn.widgets.Button | None = None
        """The real replay's button; None (never built) when the dashboard is read-only."""
        self.replayed_note = note("")
        self.replayed_table = table()
        self.replayed_box = pn.Column(self.replayed_table, sizing_mode="stretch_width")
        if not state.read_only:
            self.confirm = pn.widgets.Button(label="Confirm replay", color="danger", visible=False)
            self.confirm.on_click(self._replay)
        for widget in (self.status, self.types, self.since):
            widget.param.watch(self._refresh, "value")
        self.entries_table.param.watch(self._selected, "selection")
        self.dry_run.on_click(self._dry_run)
        self._refresh()

    def __panel__(self) -> pn.viewable.Viewable:
        replay: list[Any] = [self.dry_run, self.preview_note, self.preview_box]
        if self.confirm is not None:
            replay += [self.confirm, self.replayed_note, self.replayed_box]
        return pn.Column(
            "## Outbox",
            self.summary_table,
            pn.Row(self.status, self.types, self.since),
            self.note,
            self.entries_table,
            pn.Tabs(
                (
                    "Attempts",
                    pn.Column(self.attempts_title, self.attempts_plot, self.attempts_table),
                ),
                ("Latency", self.latency_plot),
                ("Failures by error type", self.failures_table),
                ("Replay", pn.Column(*replay)),
            ),
            sizing_mode="stretch_width",
        )

    def chosen(self) -> pd.DataFrame:
        """The entries a replay takes: the selected rows, or every entry shown."""
        rows = self.entries_table.selection
        return self.entries.iloc[rows] if rows else self.entries

    def _refresh(self, *_: object) -> None:
        since = self.since.value
        try:
            self.entries = self.state.wb.outbox(
                None if self.status.value == ALL else self.status.value,
                types=self.types.value or None,
                since=since.replace(tzinfo=UTC) if isinstance(since, datetime) else None,
            )
        except WorkbenchError as error:
            say(self.note, f"Cannot filter: {error}")
            return
        say(self.note, f"{len(self.entries)} entries.")
        show(self.entries_table, self.entries)
        self.latency_plot.object = latency_figure(latency_histogram(self.entries))
        self._forget_preview()

    def _selected(self, event: param.parameterized.Event) -> None:
        self._forget_preview()
        if not event.new:
            return
        position = int(self.entries["position"].iloc[event.new[-1]])
        attempts = self.state.wb.attempts(position)
        say(self.attempts_title, f"Entry at position {position}: {len(attempts)} attempts.")
        show(self.attempts_table, attempts)
        self.attempts_plot.object = attempts_figure(attempts)

    def _dry_run(self, _: object) -> None:
        chosen = self.chosen()
        try:
            self.preview = self.state.wb.replay(chosen, dry_run=True)
        except WorkbenchError as error:
            say(self.preview_note, f"Cannot preview: {error}")
            return
        sending = int((self.preview["action"] == "send").sum())
        skipping = len(self.preview) - sending
        say(
            self.preview_note,
            f"A replay of {len(chosen)} entries would send {sending} and skip {skipping} "
            "(pending ones).",
        )
        self.preview_table = renewed(self.preview_box, self.preview)
        if self.confirm is not None:
            self.confirm.param.update(
                label=f"Confirm replay of {sending} entries", visible=True, disabled=sending == 0
            )

    def _replay(self, _: object) -> None:
        publisher = self.state.publisher
        if publisher is None:
            say(
                self.replayed_note,
                "No publisher is configured for this dashboard: nothing was sent. "
                "Build the DashboardState with publisher=... to replay.",
            )
            return
        try:
            replayed = self.state.wb.replay(self.preview, publisher, dry_run=False)
        except WorkbenchError as error:
            say(self.replayed_note, f"Replay refused: {error}")
            return
        say(self.replayed_note, f"Replayed: {len(replayed)} attempts recorded.")
        self.replayed_table = renewed(self.replayed_box, replayed)
        self._refresh()

    def _forget_preview(self) -> None:
        """A preview stands for one choice of entries: a new choice needs a new dry run."""
        self.preview = pd.DataFrame()
        say(self.preview_note, "")
        self.preview_table = renewed(self.preview_box, self.preview)
        if self.confirm is not None:
            self.confirm.visible = False
