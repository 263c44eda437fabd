"""OverviewView and the summary behind it, without a browser."""

from __future__ import annotations

from event_sourcery import EntryStatus
from workbench import Workbench
from workbench.dashboard.overview import OverviewView
from workbench.dashboard.state import DashboardState
from workbench.demo import DemoSummary
from workbench.summary import store_summary


def test_the_summary_counts_events_streams_and_the_outbox(
    demo_wb: Workbench, demo_url: tuple[str, DemoSummary]
) -> None:
    _, demo = demo_url
    summary = store_summary(demo_wb)
    assert (summary.events, summary.streams) == (demo.events, demo.streams)
    assert summary.outbox[EntryStatus.DEAD] == demo.outbox_dead
    assert summary.outbox[EntryStatus.PENDING] == demo.outbox_pending
    assert set(summary.by_category["category"]) == {"subscription", "invoice"}
    assert summary.by_category["events"].sum() == demo.events
    assert summary.activity.to_numpy().sum() == demo.events  # all within the recent window
    assert summary.held_back == 0


def test_the_activity_covers_only_the_recent_window(demo_wb: Workbench) -> None:
    recent = store_summary(demo_wb, recent=100)
    assert recent.activity.to_numpy().sum() == 100


def test_the_view_shows_the_numbers_and_refreshes_them(demo_wb: Workbench) -> None:
    view = OverviewView(DashboardState(demo_wb))
    shown = {number.label: number.value for number in view.numbers.objects}
    assert shown["events"] == 2_000
    assert shown["outbox dead"] == view.summary.outbox[EntryStatus.DEAD]  # type: ignore[union-attr]
    assert list(view.categories.value.columns) == ["category", "streams", "events"]
    assert view.chart.object is not None
    first = view.summary
    view.refresh_button.clicks += 1
    assert view.summary is not first
