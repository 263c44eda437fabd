"""Time travel: pick a stream, step through its versions with a slider or a player, and see
the state, the diff to the previous version, the event, the changes and a plot."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from workbench.conditions import OPERATORS, condition
from workbench.dashboard.shown import json_pane, note, say, show, table
from workbench.dashboard.state import DashboardState
from workbench.display import numeric_fields, state_fields, stream_options
from workbench.errors import WorkbenchError
from workbench.timeline import Timeline

PLOT_POINTS = 2_000
"""About how many versions the numeric fields' plot shows (every n-th of a long stream)."""
CHANGES_SHOWN = 100
"""The changes table lists the changes of this many versions, up to the slider's."""


class TimeTravelView(pn.viewable.Viewer):
    """One stream version by version; follows ``state.stream`` and sets it when picked."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        self.timeline: Timeline[Any] | None = None
        self.states = pd.DataFrame()
        self.streams = state.wb.streams()
        self.options = stream_options(self.streams)
        self.stream_input = pn.widgets.AutocompleteInput(
            label="Stream (name, category or uuid)",
            options=list(self.options),
            restrict=True,
            search_strategy="includes",
            case_sensitive=False,
            min_characters=1,
            placeholder="Search streams…",
        )
        self.version = pn.widgets.IntSlider(label="Version", start=0, end=1, value=0, disabled=True)
        self.player = pn.widgets.Player(
            start=0, end=1, value=0, interval=500, loop_policy="once", disabled=True
        )
        self.player.link(self.version, value="value", bidirectional=True)
        self.title = note("No stream picked.")
        self.state_pane = json_pane()
        self.state_note = note("")
        self.event_pane = json_pane()
        self.diff_table = table()
        self.changes_table = table()
        self.plot = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.field = pn.widgets.Select(label="Field", options=[])
        self.operator = pn.widgets.Select(label="Operator", options=list(OPERATORS), value=">")
        self.value = pn.widgets.TextInput(label="Value", placeholder='0, true, "text"')
        self.jump = pn.widgets.Button(label="Jump to the first version where …", disabled=True)
        self.jump_result = note("")
        self.stream_input.param.watch(self._picked, "value")
        self.version.param.watch(self._stepped, "value")
        self.jump.on_click(self._jump)
        state.param.watch(self._follow, "stream")
        if state.stream:
            self._load(state.stream)

    def __panel__(self) -> pn.viewable.Viewable:
        finder = pn.Row(self.field, self.operator, self.value, self.jump, self.jump_result)
        step = pn.Column(
            "### State",
            self.state_note,
            self.state_pane,
            "### Diff to the previous version",
            self.diff_table,
        )
        cause = pn.Column("### The event", self.event_pane)
        return pn.Column(
            self.stream_input,
            self.title,
            pn.Row(self.player, self.version),
            finder,
            pn.Row(step, cause),
            pn.Tabs(("Changes", self.changes_table), ("Numeric fields", self.plot)),
            sizing_mode="stretch_width",
        )

    def _picked(self, event: param.parameterized.Event) -> None:
        uuid = self.options.get(event.new or "")
        if uuid is not None:
            self.state.stream = uuid

    def _follow(self, event: param.parameterized.Event) -> None:
        if event.new:
            self._load(event.new)

    def _load(self, stream: str) -> None:
        row = self.streams[self.streams["stream_id"] == stream]
        category = row["category"].iloc[0] if len(row) else None
        aggregate = self.state.wb.aggregates.get(category if isinstance(category, str) else None)
        try:
            self.timeline = self.state.wb.timeline(stream, aggregate)
        except WorkbenchError as error:
            say(self.title, f"Cannot show stream {stream}: {error}")
            return
        label = next((k for k, v in self.options.items() if v == stream), stream)
        if self.stream_input.value != label:
            self.stream_input.value = label
        how = f"rebuilt by {aggregate.__name__}" if aggregate else "merged payloads"
        last = self.timeline.last_version
        undecodable = list(self.timeline.undecodable())
        versions = "version" if len(undecodable) == 1 else "versions"
        cannot = f"; undecodable: {versions} {str(undecodable)[1:-1]}" if undecodable else ""
        say(self.title, f"{label}: versions 0 to {last} ({how}{cannot})")
        # A long stream: plot a few thousand points, and list the changes near the slider.
        self.states = self.timeline.states(every=max(1, last // PLOT_POINTS))
        self.field.options = state_fields(self.states)
        self.jump.disabled = False
        self.plot.object = _plot(self.states, numeric_fields(self.states))
        for widget in (self.version, self.player):
            widget.param.update(end=max(last, 1), disabled=last == 0)
        if self.version.value == last:
            self._show(last)
        self.version.value = last

    def _stepped(self, event: param.parameterized.Event) -> None:
        self._show(int(event.new))

    def _show(self, version: int) -> None:
        timeline = self.timeline
        if timeline is None or version > timeline.last_version:
            return
        if version == 0:
            self.event_pane.object = {"version": 0, "note": "the state before any event"}
        else:
            self.event_pane.object = timeline.event(version)
        try:  # an aggregate cannot fold past an undecodable event: say so, show the event
            state = timeline.at(version)
            diff = timeline.diff(max(version - 1, 0), version).to_frame()
            changes = timeline.changes(max(1, version - CHANGES_SHOWN + 1), version)
        except WorkbenchError as error:
            say(self.state_note, str(error))
            self.state_pane.object = {}
            show(self.diff_table, pd.DataFrame())
            show(self.changes_table, pd.DataFrame())
            return
        say(self.state_note, "")
        self.state_pane.object = state
        show(self.diff_table, diff)
        show(self.changes_table, changes)

    def _jump(self, _: object) -> None:
        if self.timeline is None or not self.field.value:
            return
        try:
            holds = condition(self.field.value, self.operator.value, self.value.value)
        except WorkbenchError as error:
            say(self.jump_result, str(error))
            return
        found = self.timeline.first(holds)
        if found is None:
            say(self.jump_result, "No version satisfies it.")
            return
        say(self.jump_result, f"First at version {found}.")
        self.version.value = found


def _plot(states: pd.DataFrame, fields: list[str]) -> Any:
    """Lines of the numeric fields over the versions (at most ten)."""
    plot = figure(height=300, sizing_mode="stretch_width", x_axis_label="version")
    source = ColumnDataSource({"version": states.get("version", pd.Series(dtype="int64"))})
    for color, name in zip(Category10_10, fields[:10], strict=False):
        source.data[name] = states[name].astype("float64").to_numpy()
        plot.line("version", name, source=source, color=color, legend_label=name)
    if fields:
        plot.legend.click_policy = "hide"
    return plot
