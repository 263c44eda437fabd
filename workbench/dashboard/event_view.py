"""EventDetailView: the event ``state.event_uuid`` names, from ``wb.trace``: payload and
context as JSON trees, envelope, stream, causes and effects, conversation and delivery."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn

from workbench import frames
from workbench.dashboard.escaped import plain, show, text_table
from workbench.dashboard.state import DashboardState
from workbench.errors import WorkbenchError
from workbench.trace import Trace

ENVELOPE = frames.ENVELOPE_COLUMNS
LINKED = ("position", "type", "stream_name", "version", "created_at", "event_uuid")
"""The columns of the children and conversation tables."""


class EventDetailView(pn.viewable.Viewer):
    """Shows ``trace`` (None: nothing picked). Widgets: ``stream_button``,
    ``parent_button``, ``children``, ``correlated``, ``envelope``, ``outbox``,
    ``attempts`` (tables); panes ``title``, ``payload``, ``context``, ``message``."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        self.trace: Trace | None = None
        self.title = pn.pane.Str("")
        self.message = pn.pane.Str("Pick an event in the Events view.")
        self.payload = pn.pane.JSON({}, depth=3, theme="light", sizing_mode="stretch_width")
        self.context = pn.pane.JSON({}, depth=2, theme="light", sizing_mode="stretch_width")
        self.envelope = text_table(_pairs({}))
        self.stream_button = pn.widgets.Button(label="Time-travel its stream", disabled=True)
        self.parent_button = pn.widgets.Button(label="Open its cause", disabled=True)
        self.children = text_table(pd.DataFrame(columns=list(LINKED)), selectable=1)
        self.correlated = text_table(pd.DataFrame(columns=list(LINKED)), selectable=1)
        self.outbox = text_table(_pairs({}))
        self.attempts = text_table(pd.DataFrame())
        self.stream_button.on_click(self._open_stream)
        self.parent_button.on_click(self._open_parent)
        self.children.param.watch(lambda e: self._open_row(self.children, e), "selection")
        self.correlated.param.watch(lambda e: self._open_row(self.correlated, e), "selection")
        state.param.watch(lambda _e: self.refresh(), "event_uuid")
        self.refresh()

    def refresh(self) -> None:
        """Show ``state.event_uuid``'s trace (or say why there is none)."""
        uuid = self.state.event_uuid
        self.trace = None
        if uuid:
            try:
                self.trace = self.state.wb.trace(uuid)
            except WorkbenchError as error:
                self.message.object = plain(str(error))
        if self.trace is None:
            if not uuid:
                self.message.object = "Pick an event in the Events view."
            self._clear()
            return
        self._show(self.trace)

    def _show(self, trace: Trace) -> None:
        event = trace.event
        notes = [] if trace.children_complete else ["Children: the next events only"]
        if event.get(frames.UNDECODABLE):  # a row the store did not write: shown as stored
            notes.insert(0, f"Undecodable: {event[frames.UNDECODABLE]}")
        self.message.object = plain("\n".join(notes))
        self.title.object = plain(
            f"{event['type']}: {event['stream_name'] or event['stream_id']} "
            f"v{event['version']} (position {event['position']})"
        )
        self.payload.object = _tree(event["data"])
        self.context.object = _tree(event["context"])
        show(self.envelope, _pairs({name: event[name] for name in ENVELOPE}))
        self.stream_button.disabled = False
        self.parent_button.disabled = trace.parent is None
        show(self.children, trace.children[list(LINKED)].reset_index(drop=True))
        show(self.correlated, self._conversation(event))
        show(self.outbox, _pairs(trace.outbox or {}))
        show(self.attempts, trace.attempts)

    def _conversation(self, event: dict[str, Any]) -> pd.DataFrame:
        correlation = event["correlation_id"]
        if correlation is None:
            return pd.DataFrame(columns=list(LINKED))
        found = self.state.wb.correlated(correlation, near=event["event_uuid"])
        return found[list(LINKED)].reset_index(drop=True)

    def _clear(self) -> None:
        self.title.object = ""
        self.payload.object = {}
        self.context.object = {}
        self.stream_button.disabled = self.parent_button.disabled = True
        for table in (self.envelope, self.outbox):
            show(table, _pairs({}))
        for table in (self.children, self.correlated):
            show(table, pd.DataFrame(columns=list(LINKED)))
        show(self.attempts, pd.DataFrame())

    def _open_stream(self, _event: object) -> None:
        if self.trace is not None:
            self.state.stream = str(self.trace.event["stream_id"])

    def _open_parent(self, _event: object) -> None:
        if self.trace is not None and self.trace.parent is not None:
            self.state.event_uuid = str(self.trace.parent["event_uuid"])

    def _open_row(self, table: pn.widgets.Tabulator, event: Any) -> None:
        if event.new:
            self.state.event_uuid = str(table.value["event_uuid"].iloc[event.new[0]])

    def __panel__(self) -> pn.viewable.Viewable:
        links = pn.Row(self.stream_button, self.parent_button)
        return pn.Column(
            self.title,
            self.message,
            links,
            pn.Row(pn.Column("Payload", self.payload), pn.Column("Context", self.context)),
            pn.Column("Envelope", self.envelope),
            pn.Column("Caused", self.children),
            pn.Column("Conversation", self.correlated),
            pn.Column("Outbox entry", self.outbox, "Attempts", self.attempts),
        )


def _tree(value: Any) -> Any:
    """What a JSON pane can show: stored text that is not JSON (the JSON pane would parse
    it) as the one value of ``{"stored text": ...}``, shown as text."""
    return {"stored text": value} if isinstance(value, str) else value


def _pairs(values: dict[str, Any]) -> pd.DataFrame:
    """A record as two text columns: field and value."""
    shown = ["" if value is None else str(value) for value in values.values()]
    return pd.DataFrame({"field": list(values), "value": shown}, dtype=object)
