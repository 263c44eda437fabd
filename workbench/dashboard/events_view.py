"""EventsView: the store's events a page at a time (``paging.EventPager``), filtered by type,
category, stream and time, newest or oldest first, with a live mode; a row opens the event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import panel as pn

from workbench.dashboard.escaped import choices, plain, show, text_table
from workbench.dashboard.state import DashboardState
from workbench.errors import WorkbenchError
from workbench.paging import EventPage, EventPager

SHOWN = ("position", "created_at", "type", "stream_name", "category", "version", "event_uuid")
"""The envelope columns the table shows, then the payload (``data``) as JSON text."""
DATA_CHARS = 200
"""How much of a payload's JSON the table shows."""
PAGE_SIZES = (25, 50, 100, 250)
LIVE_EVERY_MS = 2_000
NEWEST, OLDEST = "Newest first", "Oldest first"


class EventsView(pn.viewable.Viewer):
    """Widgets: ``types``, ``category``, ``stream_search`` and ``stream`` (its matches),
    ``since``/``until``, ``order``, ``page_size``, ``first_button``, ``previous_button``,
    ``next_button``, ``last_button``, ``live``, ``table``; ``page`` is the page shown."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        wb = state.wb
        self.types = pn.widgets.MultiChoice(label="Types", options=choices(wb.type_names()))
        self.category = pn.widgets.TextInput(label="Category", placeholder="any")
        self.stream_search = pn.widgets.TextInput(label="Stream", placeholder="name or uuid")
        self.stream = pn.widgets.Select(label="Matching streams", options={"any stream": ""})
        self.since = pn.widgets.DatetimePicker(label="Since (UTC)")
        self.until = pn.widgets.DatetimePicker(label="Until (UTC)")
        self.order = pn.widgets.RadioButtonGroup(options=[NEWEST, OLDEST], value=NEWEST)
        self.page_size = pn.widgets.Select(label="Page size", options=list(PAGE_SIZES), value=50)
        self.first_button = pn.widgets.Button(label="⏮ First")
        self.previous_button = pn.widgets.Button(label="◀ Previous")
        self.next_button = pn.widgets.Button(label="Next ▶")
        self.last_button = pn.widgets.Button(label="Last ⏭")
        self.live = pn.widgets.Toggle(label="Live", value=False)
        self.status = pn.pane.Str("")
        self.table = text_table(_shown(EventPage([], True, 1, True, True).frame()))
        self.table.selectable = 1
        self._periodic: Any = None
        self.pager = self._new_pager()
        self.page = self.pager.first()
        self._show(self.page)
        self.stream_search.param.watch(self._search_streams, "value")
        filters = (self.types, self.category, self.stream, self.since, self.until)
        for widget in (*filters, self.order, self.page_size):
            widget.param.watch(self._refilter, "value")
        self.first_button.on_click(lambda _e: self._go(self.pager.first))
        self.last_button.on_click(lambda _e: self._go(self.pager.last))
        self.next_button.on_click(lambda _e: self._go(lambda: self.pager.next(self.page)))
        self.previous_button.on_click(lambda _e: self._go(lambda: self.pager.previous(self.page)))
        self.live.param.watch(self._toggle_live, "value")
        self.table.param.watch(self._select, "selection")

    @property
    def frame(self) -> pd.DataFrame:
        """What the table shows now."""
        frame: pd.DataFrame = self.table.value
        return frame

    def poll(self) -> None:
        """Live mode's tick: the events stored after the newest shown, added to the page."""
        page = self.pager.live(self.page)
        if page is not self.page:
            self._show(page)

    def _new_pager(self) -> EventPager:
        category = (self.category.value or "").strip()
        return self.state.wb.pager(
            self.stream.value or None,
            category=[category] if category else None,
            types=self.types.value or None,
            since=_utc(self.since.value),
            until=_utc(self.until.value),
            size=int(self.page_size.value),
            newest_first=self.order.value == NEWEST,
        )

    def _refilter(self, _event: object) -> None:
        try:
            self.pager = self._new_pager()
        except WorkbenchError as error:
            self.status.object = plain(str(error))
            return
        self._go(self.pager.first)

    def _go(self, read: Any) -> None:
        try:
            self._show(read())
        except WorkbenchError as error:
            self.status.object = plain(str(error))

    def _show(self, page: EventPage) -> None:
        self.page = page
        show(self.table, _shown(page.frame()))
        self.previous_button.disabled = self.first_button.disabled = page.at_start
        self.next_button.disabled = self.last_button.disabled = page.at_end
        self.status.object = _describe(page)

    def _search_streams(self, event: Any) -> None:
        text = str(event.new or "").strip()
        options = {"any stream": ""}
        if text:
            found = self.state.wb.find_streams(text)
            for uuid, name in zip(found["stream_id"], found["stream_name"], strict=True):
                options[f"{name} ({uuid})" if isinstance(name, str) else uuid] = uuid
        self.stream.options = options

    def _toggle_live(self, event: Any) -> None:
        if event.new and self._periodic is None:
            self._periodic = pn.state.add_periodic_callback(self.poll, period=LIVE_EVERY_MS)
        elif not event.new and self._periodic is not None:
            self._periodic.stop()
            self._periodic = None

    def _select(self, event: Any) -> None:
        if event.new:
            self.state.event_uuid = str(self.frame["event_uuid"].iloc[event.new[0]])

    def __panel__(self) -> pn.viewable.Viewable:
        filters = pn.Row(self.types, self.category, self.stream_search, self.stream)
        times = pn.Row(self.since, self.until, self.order, self.page_size, self.live)
        buttons = (self.first_button, self.previous_button, self.next_button, self.last_button)
        return pn.Column(filters, times, pn.Row(*buttons, self.status), self.table)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame[list(SHOWN)].copy()
    shown["data"] = frame["data"].str.slice(0, DATA_CHARS)
    return shown


def _utc(moment: object) -> datetime | None:
    """A picker's moment (naive, meant as UTC) as an aware one."""
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _describe(page: EventPage) -> str:
    if not page.rows:
        return "No events"
    low, high = page.rows[0].position, page.rows[-1].position
    where = "" if page.number is None else f"Page {page.number} · "
    return f"{where}positions {min(low, high)} to {max(low, high)} · {len(page.rows)} events"
