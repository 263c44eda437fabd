"""The time-travel view: picking a stream (or following one another view picked), stepping
with the slider or the player, jumping to the first version where a condition holds, and
hostile payloads shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workbench.dashboard.hostile import HOSTILE, shown_as_text, write_hostile
from workbench import Workbench
from workbench.dashboard.state import DashboardState
from workbench.dashboard.timetravel_view import TimeTravelView
from workbench.demo import DemoSummary, Subscription


@pytest.fixture
def view(demo: tuple[Workbench, DemoSummary]) -> TimeTravelView:
    wb, summary = demo
    assert summary.drifted_stream is not None
    view = TimeTravelView(DashboardState(wb))
    label = next(k for k in view.options if k.startswith(f"{summary.drifted_stream.name} "))
    view.stream_input.value = label
    return view


def test_picking_a_stream_shares_it_and_shows_its_last_state(
    view: TimeTravelView, demo: tuple[Workbench, DemoSummary]
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    timeline = wb.timeline(summary.drifted_stream, Subscription)
    assert view.state.stream == str(summary.drifted_stream.uuid)
    assert view.version.end == view.player.end == timeline.last_version
    assert view.version.value == timeline.last_version
    assert view.state_pane.object == timeline.at(timeline.last_version)
    assert "rebuilt by Subscription" in view.title.object


def test_moving_the_slider_shows_that_versions_state_event_and_diff(
    view: TimeTravelView, demo: tuple[Workbench, DemoSummary]
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    timeline = wb.timeline(summary.drifted_stream, Subscription)
    view.version.value = 1
    assert view.state_pane.object == timeline.at(1)
    assert view.state_pane.object["status"] == "active"
    assert view.event_pane.object["version"] == 1
    assert view.event_pane.object["type"] == timeline.event(1)["type"]
    assert view.diff_table.value["path"].tolist() == timeline.diff(0, 1).paths
    view.version.value = 0
    assert view.state_pane.object == timeline.at(0)
    assert view.diff_table.value.empty


def test_the_player_steps_the_slider_and_the_state(view: TimeTravelView) -> None:
    view.player.value = 3
    assert view.version.value == 3
    assert view.event_pane.object["version"] == 3
    view.version.value = 5
    assert view.player.value == 5


def test_the_view_follows_a_stream_another_view_picks(
    demo: tuple[Workbench, DemoSummary],
) -> None:
    wb, _ = demo
    state = DashboardState(wb)
    view = TimeTravelView(state)
    invoice = wb.streams().query("category == 'invoice'").iloc[0]
    state.stream = invoice["stream_id"]
    assert view.stream_input.value.startswith(f"{invoice['stream_name']} ")
    assert view.version.value == invoice["version"]
    assert "rebuilt by Invoice" in view.title.object


def test_jump_to_the_first_version_where_a_condition_holds_moves_the_slider(
    view: TimeTravelView, demo: tuple[Workbench, DemoSummary]
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    timeline = wb.timeline(summary.drifted_stream, Subscription)
    expected = timeline.first(lambda state: state["late_fees"] > 0)
    assert expected is not None
    assert "late_fees" in view.field.options
    view.field.value, view.operator.value, view.value.value = "late_fees", ">", "0"
    view.jump.clicks += 1
    assert view.version.value == expected
    assert view.state_pane.object["late_fees"] > 0
    assert f"version {expected}" in view.jump_result.object


def test_jump_when_no_version_satisfies_the_condition_says_so_and_stays(
    view: TimeTravelView,
) -> None:
    before = view.version.value
    view.field.value, view.operator.value, view.value.value = "status", "==", "on the moon"
    view.jump.clicks += 1
    assert view.version.value == before
    assert "No version satisfies it" in view.jump_result.object


def test_the_changes_table_follows_the_slider_and_the_plot_covers_the_stream(
    view: TimeTravelView, demo: tuple[Workbench, DemoSummary]
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    timeline = wb.timeline(summary.drifted_stream, Subscription)
    last = timeline.last_version
    shown = view.changes_table.value
    assert set(shown["version"]) == set(timeline.changes(max(1, last - 99), last)["version"])
    assert max(shown["version"]) == last
    view.version.value = 20
    assert max(view.changes_table.value["version"]) == 20
    assert len(view.changes_table.value) == len(timeline.changes(1, 20))
    plot = view.plot.object
    labels = {item.label["value"] for item in plot.legend.items}
    assert {"balance", "late_fees", "renewals"} <= labels
    assert "status" not in labels


def test_without_an_aggregate_class_the_view_steps_through_merged_payloads(
    demo: tuple[Workbench, DemoSummary], store_url: str
) -> None:
    _, summary = demo
    assert summary.drifted_stream is not None
    with Workbench.open(store_url) as bare:
        state = DashboardState(bare)
        view = TimeTravelView(state)
        state.stream = str(summary.drifted_stream.uuid)
        assert "merged payloads" in view.title.object
        view.version.value = 1
        assert view.state_pane.object == bare.timeline(summary.drifted_stream).at(1)


def test_hostile_payloads_and_stream_names_are_shown_as_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    stream = write_hostile(url)
    with Workbench.open(url, app="tests.workbench.domain") as wb:
        state = DashboardState(wb)
        view = TimeTravelView(state)
        state.stream = str(stream.uuid)
        view.version.value = 2
        assert view.event_pane.object["data"]["note"] == HOSTILE[1]
        assert {"json", "note", "table:new"} <= shown_as_text(view)
