"""The outbox view's charts (Bokeh): the delivery latency histogram and one entry's attempts
as segments over time. Labels are drawn on the canvas, never as HTML."""

from __future__ import annotations

from typing import Any

import pandas as pd
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

OUTCOME_COLORS = {"delivered": "#2ca02c", "failed": "#ff7f0e", "dead": "#d62728"}
"""An attempt's colour by outcome; others (abandoned) are grey."""


def latency_figure(histogram: pd.DataFrame) -> Any:
    """Bars of a ``display.latency_histogram`` frame."""
    plot = figure(
        height=250,
        sizing_mode="stretch_width",
        title="Delivery latency",
        x_axis_label="seconds",
        y_axis_label="entries",
    )
    source = ColumnDataSource(
        {name: histogram[name].to_numpy() for name in ("left", "right", "count")}
    )
    plot.quad(left="left", right="right", top="count", bottom=0, source=source)
    return plot


def attempts_figure(attempts: pd.DataFrame) -> Any:
    """One segment per attempt of an ``attempts_frame``, from its start to its end, at the
    height of its number, coloured by outcome."""
    plot = figure(
        height=220,
        sizing_mode="stretch_width",
        title="Attempts",
        x_axis_type="datetime",
        y_axis_label="attempt",
    )
    start = _naive_utc(attempts["started_at"])
    end = _naive_utc(attempts["finished_at"].fillna(attempts["started_at"]))
    source = ColumnDataSource(
        {
            "start": start,
            "end": end,
            "number": attempts["number"].to_numpy(),
            "color": [OUTCOME_COLORS.get(str(o), "#7f7f7f") for o in attempts["outcome"]],
        }
    )
    plot.segment("start", "number", "end", "number", color="color", line_width=8, source=source)
    plot.scatter("start", "number", color="color", size=8, source=source)
    return plot


def _naive_utc(times: pd.Series[Any]) -> Any:
    """UTC times as naive datetime64 values, as Bokeh plots them."""
    return times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
