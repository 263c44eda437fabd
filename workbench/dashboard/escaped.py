"""Showing what the store holds as text, never markup: tables whose cells go through Bokeh's
StringFormatter, text for panes that would parse it (``pn.pane.Str`` puts its text in
``<pre>`` as HTML), and labels for choices (Choices.js renders them as HTML)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import pandas as pd
import panel as pn
from bokeh.models.widgets.tables import DateFormatter, StringFormatter

UTC_FORMAT = "%Y-%m-%d %H:%M:%S"


def text_formatters(frame: pd.DataFrame) -> dict[str, Any]:
    """A formatter per column: dates as dates, everything else as escaped text."""
    return {
        str(name): DateFormatter(format=UTC_FORMAT)
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype)
        else StringFormatter(null_format="")
        for name in frame.columns
    }


def text_table(frame: pd.DataFrame, **params: Any) -> pn.widgets.Tabulator:
    """A read-only Tabulator over ``frame`` whose cells render as text."""
    return pn.widgets.Tabulator(
        frame,
        formatters=text_formatters(frame),
        disabled=True,
        show_index=False,
        sizing_mode="stretch_width",
        **params,
    )


def show(table: pn.widgets.Tabulator, frame: pd.DataFrame) -> None:
    """Put ``frame`` in ``table`` (selection cleared), its formatters kept text for the new
    columns."""
    table.selection = []
    table.formatters = text_formatters(frame)
    table.value = frame


def plain(text: str) -> str:
    """``text`` for a Str or HTML pane: escaped, so that it shows as written."""
    return html.escape(text)


def choices(values: Iterable[str]) -> dict[str, str]:
    """Options for a MultiChoice: each value under an escaped label."""
    return {html.escape(value): value for value in values}
