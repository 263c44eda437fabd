"""EventDetailView without a browser: what it shows for the picked event, the links it
follows, the bounded reads behind it, and payloads kept as text."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from bokeh.models.widgets.tables import StringFormatter

from event_sourcery import EventStore, Outbox, connect
from event_sourcery.testing.counting import CountingStorage
from tests.workbench.dashboard.test_events_view import MANY, add_many
from tests.workbench.store_data import uid, write_store
from workbench import Workbench
from workbench.dashboard.event_view import EventDetailView
from workbench.dashboard.state import DashboardState


@pytest.fixture
def wb(store_url: str) -> Iterator[Workbench]:
    write_store(store_url)
    with Workbench.open(store_url, app="tests.workbench.domain") as workbench:
        yield workbench


@pytest.fixture
def view(wb: Workbench) -> EventDetailView:
    return EventDetailView(DashboardState(wb))


def fields(table: object) -> dict[str, str]:
    frame = table.value  # type: ignore[attr-defined]
    return dict(zip(frame["field"], frame["value"], strict=True))


def test_nothing_picked_shows_a_hint(view: EventDetailView) -> None:
    assert view.trace is None
    assert "Pick an event" in view.message.object
    assert view.stream_button.disabled


def test_picking_an_event_shows_its_payload_envelope_and_context(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(2))
    assert view.payload.object == {"amount": 50, "note": "<script>alert(1)</script>"}
    assert view.context.object["correlation_id"] == str(uid(1))
    shown = fields(view.envelope)
    assert (shown["type"], shown["stream_name"], shown["version"]) == (
        "wb.MoneyMoved",
        "wallet-ada",
        "2",
    )
    assert "wallet-ada v2" in view.title.object


def test_its_cause_children_and_conversation_are_listed(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(2))
    assert not view.parent_button.disabled
    assert list(view.children.value["event_uuid"]) == [str(uid(3))]
    assert list(view.correlated.value["event_uuid"]) == [str(uid(1)), str(uid(2)), str(uid(3))]


def test_the_cause_button_and_a_child_row_open_those_events(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(2))
    view.parent_button.clicks += 1
    assert view.state.event_uuid == str(uid(1))
    assert view.parent_button.disabled  # the first event has no cause
    view.children.selection = [0]
    assert view.state.event_uuid == str(uid(2))
    view.correlated.selection = [2]
    assert view.state.event_uuid == str(uid(3))


def test_the_stream_button_picks_the_stream_for_time_travel(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(3))
    view.stream_button.clicks += 1
    assert view.state.stream == fields(view.envelope)["stream_id"]


def test_the_outbox_entry_and_its_attempts_are_shown(store_url: str, wb: Workbench) -> None:
    store = connect(store_url)
    Outbox(store, relay_id="relay-1").run_once(lambda recorded: None)
    store.close()
    view = EventDetailView(DashboardState(wb, event_uuid=str(uid(1))))
    assert fields(view.outbox)["status"] == "delivered"
    assert list(view.attempts.value["relay_id"]) == ["relay-1"]


def test_an_event_without_an_outbox_entry_shows_empty_tables(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(6))
    assert view.outbox.value.empty
    assert view.attempts.value.empty


def test_an_unknown_or_malformed_uuid_says_so(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(99))
    assert "no event with uuid" in view.message.object
    assert view.trace is None
    view.state.event_uuid = "<b>not a uuid</b>"
    assert "is not a uuid" in view.message.object


def test_payload_text_is_shown_as_text(view: EventDetailView) -> None:
    view.state.event_uuid = str(uid(2))
    # The JSON pane renders keys and values as DOM text nodes (json-formatter-js).
    assert "<script>alert(1)</script>" in view.payload.object["note"]
    for table in (view.envelope, view.children, view.correlated, view.outbox):
        assert all(isinstance(f, StringFormatter) for f in table.formatters.values())
    view.state.event_uuid = "<img src=x onerror=alert(1)>"
    # Str panes put their text in <pre> as HTML: the view escapes it first.
    shown: Any = view.message.get_root()  # Panel's HTML model: its text, escaped once
    assert "&amp;lt;img" in shown.text
    assert "<img" not in html.unescape(shown.text)


def test_a_trace_in_a_big_store_reads_a_bounded_window(store_url: str) -> None:
    write_store(store_url)
    add_many(store_url)
    with Workbench.open(store_url, app="tests.workbench.domain") as opened:
        storage = CountingStorage(opened.store.storage)
        wb = Workbench(EventStore(storage, opened.store.registry))
        EventDetailView(DashboardState(wb, event_uuid=str(uid(5))))
        assert storage.rows_read <= 3 + 2 * 10_000
        assert wb.trace(uid(5)).children_complete
        assert MANY < 10_000
