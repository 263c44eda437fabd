"""OverviewView: the store at a glance — counts, recent activity by type, streams by
category, outbox health, and how far readers of the whole store are held back."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
from bokeh.palettes import Category20
from bokeh.plotting import figure

from event_sourcery import EntryStatus
from workbench.dashboard.state import DashboardState
from workbench.summary import StoreSummary, store_summary


class OverviewView(pn.viewable.Viewer):
    """Numbers and a chart from ``store_summary``; ``refresh`` reads them again."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        self.numbers = pn.FlexBox()
        self.categories = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self.chart = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.refresh_button = pn.widgets.Button(label="Refresh", color="primary")
        self.refresh_button.on_click(lambda _event: self.refresh())
        self.summary: StoreSummary | None = None
        self.refresh()

    def refresh(self) -> None:
        """Read the summary again and show it."""
        summary = self.summary = store_summary(self.state.wb)
        outbox = summary.outbox
        self.numbers.objects = [
            _number("events", summary.events),
            _number("streams", summary.streams),
            _number("types (recent)", summary.types),
            _number("outbox pending", outbox[EntryStatus.PENDING]),
            _number("outbox delivered", outbox[EntryStatus.DELIVERED]),
            _number("outbox dead", outbox[EntryStatus.DEAD], danger=True),
            _number("positions held back", summary.held_back, danger=True),
        ]
        self.categories.value = summary.by_category
        self.chart.object = activity_chart(summary.activity)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(pn.pane.Markdown("## Overview"), self.refresh_button),
            self.numbers,
            self.chart,
            pn.pane.Markdown("### Streams by category"),
            self.categories,
            sizing_mode="stretch_width",
        )


def activity_chart(activity: pd.DataFrame) -> Any:
    """Recent events per day, one line per type (type names are shown as text)."""
    chart = figure(
        title="Recent events per day by type",
        x_axis_type="datetime",
        height=300,
        sizing_mode="stretch_width",
        tools="pan,wheel_zoom,box_zoom,reset,hover",
    )
    palette = Category20[20]
    days = list(pd.DatetimeIndex(activity.index).tz_convert(None))  # Bokeh plots naive UTC
    for index, name in enumerate(activity.columns):
        chart.line(
            x=days,
            y=activity[name].tolist(),
            legend_label=str(name),
            color=palette[index % len(palette)],
            line_width=2,
        )
    if len(activity.columns):
        chart.legend.location = "top_left"
        chart.legend.label_text_font_size = "8pt"
    return chart


def _number(name: str, value: int, danger: bool = False) -> pn.indicators.Number:
    colors = [(1, "green"), (10**18, "red")] if danger else None
    return pn.indicators.Number(
        label=name,
        value=value,
        format="{value:,}",
        font_size="28pt",
        title_size="11pt",
        **({"colors": colors} if colors else {}),
    )
