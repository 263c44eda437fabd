"""Showing store values safely: tables whose text cells are Tabulator's ``plaintext`` (it
escapes HTML), JSON panes that turn times and uuids into text, and notes escaped by us
(Panel's ``Str`` pane renders its text as HTML)."""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd
import panel as pn

from workbench.display import as_text, text_columns

PLAINTEXT: dict[str, Any] = {"type": "plaintext"}
"""Tabulator's formatter that escapes HTML in a cell's value."""


class _AsText(json.JSONEncoder):
    """Anything JSON does not know (datetimes, uuids, decimals) as its text."""

    def default(self, o: Any) -> Any:
        return str(o)


def json_pane(value: Any = None, **params: Any) -> pn.pane.JSON:
    """A JSON pane (rendered as text nodes, never as HTML) for a state or an event."""
    return pn.pane.JSON(value or {}, encoder=_AsText, depth=2, theme="light", **params)


def table(frame: pd.DataFrame | None = None, **params: Any) -> pn.widgets.Tabulator:
    """A read-only Tabulator showing ``frame`` with every text cell as plain text."""
    settings: dict[str, Any] = {"show_index": False, "pagination": "local", "page_size": 15}
    widget = pn.widgets.Tabulator(disabled=True, **{**settings, **params})
    show(widget, pd.DataFrame() if frame is None else frame)
    return widget


def show(widget: pn.widgets.Tabulator, frame: pd.DataFrame) -> None:
    """Put ``frame`` in ``widget``: values as text, text columns plain (escaped)."""
    shown = as_text(frame)
    formatters = dict.fromkeys(text_columns(shown), PLAINTEXT)
    widget.param.update(value=shown, formatters=formatters, selection=[])


def renewed(box: pn.Column, frame: pd.DataFrame) -> pn.widgets.Tabulator:
    """Show ``frame`` in a new table in ``box``. A table whose columns change with its data
    (an empty preview, then a dry run's frame) is rebuilt, not updated: Tabulator in the
    browser can take the new columns and miss the rows of an update."""
    widget = table(frame)
    box.objects = [widget]
    return widget


def note(text: str = "") -> pn.pane.HTML:
    """A line of text that may hold store values: shown escaped."""
    pane = pn.pane.HTML(sizing_mode="stretch_width")
    say(pane, text)
    return pane


def say(pane: pn.pane.HTML, text: str) -> None:
    """Show ``text`` in a ``note``, escaped."""
    pane.object = f"<p>{html.escape(text)}</p>" if text else ""
