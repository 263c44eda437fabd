"""The snapshots view: the audit with the drifted snapshot highlighted, a selected snapshot
stored beside rebuilt with their diff, the diff between two snapshots, and hostile values
shown as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.workbench.dashboard.hostile import SCRIPT, shown_as_text, write_hostile
from workbench import Workbench
from workbench.dashboard.snapshots_view import DRIFT_STYLE, SnapshotsView, highlight_drift
from workbench.dashboard.state import DashboardState
from workbench.demo import DemoSummary


@pytest.fixture
def view(demo: tuple[Workbench, DemoSummary]) -> SnapshotsView:
    return SnapshotsView(DashboardState(demo[0]))


def _highlighted_rows(styled_html: str) -> set[int]:
    """The rows whose cells a Styler's CSS gives the drift style."""
    rows: set[int] = set()
    for selectors, props in re.findall(r"([^{}]+)\{([^}]*)\}", styled_html):
        if DRIFT_STYLE.split(";")[0] in props:
            rows |= {int(row) for row in re.findall(r"_row(\d+)_col", selectors)}
    return rows


def _row(view: SnapshotsView, status: str) -> int:
    return int((view.audit["status"] == status).to_numpy().nonzero()[0][0])


def test_the_audit_lists_every_snapshot_and_highlights_the_drifted_one(
    view: SnapshotsView, demo: tuple[Workbench, DemoSummary]
) -> None:
    _, summary = demo
    shown = view.audit_table.value
    assert len(shown) == summary.snapshots
    drifted = shown[shown["status"] == "drift"]
    assert list(zip(drifted["stream_name"], drifted["version"], strict=True)) == [
        (summary.drifted_stream.name if summary.drifted_stream else None, summary.drifted_version)
    ]
    styler = view.audit_table.style
    assert styler is not None
    assert _highlighted_rows(styler.to_html()) == set(drifted.index)
    assert set(highlight_drift(drifted.iloc[0])) == {DRIFT_STYLE}
    assert set(highlight_drift(shown[shown["status"] == "match"].iloc[0])) == {""}


def test_selecting_the_drifted_snapshot_shows_stored_beside_rebuilt_and_the_diff(
    view: SnapshotsView, demo: tuple[Workbench, DemoSummary]
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    view.audit_table.selection = [_row(view, "drift")]
    compared = wb.compare_snapshot(summary.drifted_stream, summary.drifted_version)
    assert view.stored_pane.object == compared.stored
    assert view.rebuilt_pane.object == compared.rebuilt
    assert view.stored_pane.object != view.rebuilt_pane.object
    assert view.diff_table.value["path"].tolist() == ["balance"]
    assert "drift" in view.comparison.object
    assert view.state.stream == str(summary.drifted_stream.uuid)


def test_selecting_a_matching_snapshot_shows_no_difference(view: SnapshotsView) -> None:
    view.audit_table.selection = [_row(view, "match")]
    assert view.stored_pane.object == view.rebuilt_pane.object
    assert view.diff_table.value.empty
    assert "match" in view.comparison.object


def test_two_snapshots_of_a_stream_are_diffed_on_request(
    view: SnapshotsView, demo: tuple[Workbench, DemoSummary]
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    view.between_stream.value = str(summary.drifted_stream.uuid)
    versions = view.older.options
    assert versions == sorted(wb.snapshots(summary.drifted_stream)["version"].tolist())
    view.older.value, view.newer.value = versions[0], versions[1]
    view.between.clicks += 1
    expected = wb.diff_snapshots(summary.drifted_stream, versions[0], versions[1])
    assert view.between_table.value["path"].tolist() == expected.paths
    assert f"{len(expected)} paths changed" in view.between_note.object


def test_hostile_snapshot_states_and_stream_names_are_shown_as_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    write_hostile(url)
    with Workbench.open(url, app="tests.workbench.domain") as wb:
        view = SnapshotsView(DashboardState(wb))
        view.audit_table.selection = [0]
        assert view.stored_pane.object["owner"]["name"] == SCRIPT
        assert {"json", "note", "table:stream_name"} <= shown_as_text(view)
