"""EventsView and the pager behind it, without a browser: pages, filters, order, live mode,
selection, bounded reads and escaped payloads, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from bokeh.models.widgets.tables import HTMLTemplateFormatter, StringFormatter
from panel.models.tabulator import DataTabulator

from event_sourcery import Envelope, EventRegistry, EventStore, StreamId, connect
from event_sourcery.testing.counting import CountingStorage
from tests.workbench.domain import MoneyMoved, OwnerMoved
from tests.workbench.store_data import ADA, T0, Secret, uid, write_store
from workbench import Workbench
from workbench.dashboard.events_view import EventsView
from workbench.dashboard.state import DashboardState

MANY = 3_000
"""Events added after the shared test data: enough that a whole read would show."""
XSS = "<img src=x onerror=alert(1)>"


def add_many(url: str) -> None:
    """``MANY`` MoneyMoved events over 30 streams, a minute apart, one with an XSS note."""
    store = connect(url)
    try:
        for batch in range(30):
            stream = StreamId(name=f"bulk-{batch:02d}", category="bulk")
            store.append(
                *[
                    Envelope(
                        event=MoneyMoved(amount=i, note=XSS if (batch, i) == (29, 99) else ""),
                        created_at=T0 + timedelta(days=1, minutes=batch * 100 + i),
                    )
                    for i in range(100)
                ],
                stream_id=stream,
            )
    finally:
        store.close()


@pytest.fixture
def counted(store_url: str) -> Iterator[tuple[Workbench, CountingStorage]]:
    """A workbench over the test data plus ``MANY`` events, its reads counted."""
    write_store(store_url)
    add_many(store_url)
    with Workbench.open(store_url, app="tests.workbench.domain") as opened:
        storage = CountingStorage(opened.store.storage)
        wb = Workbench(EventStore(storage, opened.store.registry))
        yield wb, storage


@pytest.fixture
def view(counted: tuple[Workbench, CountingStorage]) -> EventsView:
    return EventsView(DashboardState(counted[0]))


def test_the_first_page_shows_the_newest_events_and_reads_only_a_page(
    counted: tuple[Workbench, CountingStorage],
) -> None:
    wb, storage = counted
    view = EventsView(DashboardState(wb))
    positions = list(view.frame["position"])
    assert len(positions) == 50
    assert positions == sorted(positions, reverse=True)
    assert positions[0] == wb.store.position
    assert storage.rows_read <= 51  # one page (and one row to know there is a next)
    assert view.first_button.disabled
    assert not view.next_button.disabled


def test_next_and_previous_move_a_page_and_each_reads_a_page(
    view: EventsView, counted: tuple[Workbench, CountingStorage]
) -> None:
    _, storage = counted
    first = list(view.frame["position"])
    before = storage.rows_read
    view.next_button.clicks += 1
    second = list(view.frame["position"])
    assert second[0] == first[-1] - 1
    assert len(second) == 50
    assert view.page.number == 2
    assert storage.rows_read - before <= 51
    view.previous_button.clicks += 1
    assert list(view.frame["position"]) == first


def test_last_shows_the_oldest_events_and_first_comes_back(view: EventsView) -> None:
    newest = list(view.frame["position"])
    view.last_button.clicks += 1
    oldest = list(view.frame["position"])
    assert oldest[-1] == 1
    assert oldest == sorted(oldest, reverse=True)
    assert view.next_button.disabled
    view.first_button.clicks += 1
    assert list(view.frame["position"]) == newest


def test_oldest_first_starts_at_the_first_event(view: EventsView) -> None:
    view.order.value = "Oldest first"
    assert list(view.frame["position"][:3]) == [1, 2, 3]
    view.next_button.clicks += 1
    assert view.frame["position"].iloc[0] == 51


def test_the_page_size_sets_the_rows_shown(view: EventsView) -> None:
    view.page_size.value = 25
    assert len(view.frame) == 25
    view.page_size.value = 100
    assert len(view.frame) == 100


def test_the_type_filter_shows_only_those_types(view: EventsView) -> None:
    assert {"wb.WalletOpened", "wb.MoneyMoved", "wb.OwnerMoved"} <= set(view.types.options)
    view.types.value = ["wb.WalletOpened", "wb.OwnerMoved"]
    assert set(view.frame["type"]) == {"wb.WalletOpened", "wb.OwnerMoved"}
    assert len(view.frame) == 3
    assert view.next_button.disabled


def test_the_category_filter_keeps_that_category(view: EventsView) -> None:
    view.category.value = "wallet"
    assert set(view.frame["category"]) == {"wallet"}
    assert len(view.frame) == 5


def test_a_stream_search_lists_matches_and_picking_one_shows_its_events(view: EventsView) -> None:
    view.stream_search.value = "bulk-0"
    assert len(view.stream.options) == 11  # "any stream" and bulk-00 .. bulk-09
    choice = next(uuid for label, uuid in view.stream.options.items() if "bulk-07" in label)
    view.stream.value = choice
    assert set(view.frame["stream_name"]) == {"bulk-07"}
    assert list(view.frame["version"][:2]) == [100, 99]
    view.next_button.clicks += 1
    assert list(view.frame["version"][:2]) == [50, 49]
    assert view.next_button.disabled


def test_the_time_range_keeps_events_recorded_in_it(view: EventsView) -> None:
    view.since.value = (T0 + timedelta(minutes=20)).replace(tzinfo=None)
    view.until.value = (T0 + timedelta(hours=3)).replace(tzinfo=None)
    assert list(view.frame["event_uuid"]) == [str(uid(5)), str(uid(3)), str(uid(2))]


def test_live_mode_adds_new_events_at_the_top(view: EventsView, store_url: str) -> None:
    view.live.value = True
    view.poll()
    shown = list(view.frame["position"])
    writer = connect(store_url)
    writer.append(
        Envelope(event=OwnerMoved(city="Lima"), uuid=UUID(int=77)),
        stream_id=ADA,
        expected_version=4,
    )
    writer.close()
    view.poll()
    assert view.frame["event_uuid"].iloc[0] == str(UUID(int=77))
    assert list(view.frame["position"][1:]) == shown[:-1]
    view.live.value = False


def test_live_mode_reads_only_after_the_newest_shown(
    view: EventsView, counted: tuple[Workbench, CountingStorage]
) -> None:
    _, storage = counted
    before = storage.rows_read
    view.poll()
    assert storage.rows_read == before  # nothing new: nothing read


def test_selecting_a_row_opens_that_event(view: EventsView) -> None:
    view.table.selection = [3]
    assert view.state.event_uuid == view.frame["event_uuid"].iloc[3]


def test_payloads_are_shown_as_text_not_html(view: EventsView) -> None:
    view.types.value = ["wb.MoneyMoved"]
    assert XSS in view.frame["data"].iloc[0]  # the newest: the value itself, kept as text
    view.order.value = "Oldest first"
    assert "<script>alert(1)</script>" in view.frame["data"].iloc[0]
    formatters = view.table.formatters
    assert all(isinstance(formatters[name], StringFormatter) for name in ("data", "type"))
    root = view.table.get_root()
    assert isinstance(root, DataTabulator)
    columns: Any = root.columns  # a list of TableColumn
    assert not any(isinstance(column.formatter, HTMLTemplateFormatter) for column in columns)
    assert all(
        isinstance(column.formatter, StringFormatter)
        for column in columns
        if column.field in ("data", "stream_name", "type", "category")
    )
    assert "html" not in str(root.configuration)


def test_opening_and_jumping_to_the_last_page_read_two_pages_of_thousands(
    counted: tuple[Workbench, CountingStorage],
) -> None:
    wb, storage = counted
    assert wb.store.position > MANY
    EventsView(DashboardState(wb)).last_button.clicks += 1
    assert storage.rows_read <= 2 * 51


def test_type_names_are_offered_under_escaped_labels(store_url: str) -> None:
    registry = EventRegistry()
    registry.add(Secret, XSS)
    writer = connect(store_url, registry=registry)
    writer.append(Secret(code="x"), stream_id=StreamId(name="hostile"))
    writer.close()
    with Workbench.open(store_url) as wb:
        view = EventsView(DashboardState(wb))
    assert view.types.options == {"&lt;img src=x onerror=alert(1)&gt;": XSS}
    assert view.frame["type"].iloc[0] == XSS  # the table's StringFormatter shows it as text
