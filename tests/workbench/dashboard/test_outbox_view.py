"""The outbox view: entries filtered by status, type and time, the summary, latency and
failures, one entry's attempts, and replay — a dry run, then a confirmation that is absent
from a read-only dashboard and needs a publisher — with hostile errors shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import panel as pn
import pytest

from event_sourcery import Recorded
from tests.workbench.dashboard.hostile import SCRIPT, shown_as_text, write_hostile
from workbench import Workbench
from workbench.dashboard.outbox_view import OutboxView
from workbench.dashboard.state import DashboardState
from workbench.demo import DemoSummary, build_demo


@pytest.fixture
def demo(store_url: str) -> DemoSummary:
    return build_demo(store_url, events=2_000, seed=3, progress=False)


@pytest.fixture
def reader(store_url: str, demo: DemoSummary) -> Iterator[Workbench]:
    with Workbench.open(store_url, app="workbench.demo") as wb:
        yield wb


@pytest.fixture
def writer(store_url: str, demo: DemoSummary) -> Iterator[Workbench]:
    with Workbench.open(store_url, app="workbench.demo", read_only=False) as wb:
        yield wb


def _buttons(view: OutboxView) -> list[str]:
    buttons: list[Any] = view.__panel__().select(pn.widgets.Button)
    return [button.label for button in buttons]


def test_entries_are_filtered_by_status_type_and_time(reader: Workbench, demo: DemoSummary) -> None:
    view = OutboxView(DashboardState(reader))
    assert len(view.entries_table.value) == demo.outbox_delivered + demo.outbox_dead + (
        demo.outbox_pending
    )
    view.status.value = "dead"
    assert view.entries_table.value["status"].tolist() == ["dead"] * demo.outbox_dead
    view.status.value = "all"
    kind = str(view.entries["type"].iloc[0])
    view.types.value = [kind]
    assert set(view.entries_table.value["type"]) == {kind}
    assert f"{len(view.entries)} entries" in view.note.object
    view.since.value = datetime(2100, 1, 1)
    assert view.entries_table.value.empty


def test_the_summary_latency_and_failures_are_those_of_the_workbench(
    reader: Workbench, demo: DemoSummary
) -> None:
    view = OutboxView(DashboardState(reader))
    summary = reader.outbox_summary()
    row = view.summary_table.value.iloc[0]
    assert (row["pending"], row["delivered"], row["dead"]) == (
        demo.outbox_pending,
        demo.outbox_delivered,
        demo.outbox_dead,
    )
    assert row["latency_p50"] == str(summary.to_frame()["latency_p50"].iloc[0])
    assert (
        view.failures_table.value["error_type"].tolist() == summary.failures["error_type"].tolist()
    )
    bars = view.latency_plot.object.renderers[0].data_source.data
    assert sum(bars["count"]) == demo.outbox_delivered


def test_selecting_an_entry_shows_its_attempts_in_order(reader: Workbench) -> None:
    view = OutboxView(DashboardState(reader))
    view.status.value = "dead"
    view.entries_table.selection = [0]
    position = int(view.entries["position"].iloc[0])
    attempts = reader.attempts(position)
    shown = view.attempts_table.value
    assert shown["number"].tolist() == attempts["number"].tolist() == sorted(shown["number"])
    assert shown["outcome"].iloc[-1] == "dead"
    assert f"position {position}: {len(attempts)} attempts" in view.attempts_title.object
    segments = view.attempts_plot.object.renderers[0].data_source.data
    assert list(segments["number"]) == attempts["number"].tolist()


def test_a_dry_run_previews_the_replay_and_sends_nothing(reader: Workbench) -> None:
    view = OutboxView(DashboardState(reader))
    view.status.value = "dead"
    before = len(reader.attempts())
    view.dry_run.clicks += 1
    preview = view.preview_table.value
    assert preview["position"].tolist() == view.entries["position"].tolist()
    assert set(preview["action"]) == {"send"}
    assert "would send 1" in view.preview_note.object
    assert len(reader.attempts()) == before


def test_read_only_dashboards_have_no_replay_confirmation_at_all(reader: Workbench) -> None:
    view = OutboxView(DashboardState(reader, publisher=lambda record: None))
    view.dry_run.clicks += 1
    assert view.confirm is None
    labels = _buttons(view)
    assert "Dry run: preview a replay" in labels
    assert not any(label.startswith("Confirm") for label in labels)


def test_a_confirmed_replay_sends_the_previewed_entries_through_the_publisher(
    writer: Workbench,
) -> None:
    sent: list[Recorded[Any]] = []
    view = OutboxView(DashboardState(writer, publisher=sent.append))
    view.status.value = "dead"
    dead = view.entries["position"].tolist()
    assert view.confirm is not None
    assert not view.confirm.visible
    view.dry_run.clicks += 1
    assert view.confirm.visible
    assert view.confirm.label == f"Confirm replay of {len(dead)} entries"
    assert view.confirm.label in _buttons(view)
    view.confirm.clicks += 1
    assert [record.position for record in sent] == dead
    replayed = view.replayed_table.value
    assert replayed["position"].tolist() == dead
    assert replayed["replay"].all()
    assert writer.attempts(dead[0])["replay"].iloc[-1]
    assert "1 attempts recorded" in view.replayed_note.object


def test_without_a_publisher_the_confirmation_explains_and_sends_nothing(
    writer: Workbench,
) -> None:
    view = OutboxView(DashboardState(writer))
    view.status.value = "dead"
    before = len(writer.attempts())
    view.dry_run.clicks += 1
    assert view.confirm is not None
    view.confirm.clicks += 1
    assert "No publisher is configured" in view.replayed_note.object
    assert len(writer.attempts()) == before


def test_changing_the_choice_after_a_dry_run_hides_the_confirmation(writer: Workbench) -> None:
    view = OutboxView(DashboardState(writer, publisher=lambda record: None))
    view.dry_run.clicks += 1
    assert view.confirm is not None
    assert view.confirm.visible
    view.status.value = "dead"
    assert not view.confirm.visible
    assert view.preview_table.value.empty


def test_hostile_error_messages_are_shown_as_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    write_hostile(url)
    with Workbench.open(url, app="tests.workbench.domain") as wb:
        view = OutboxView(DashboardState(wb))
        view.entries_table.selection = [0]
        assert SCRIPT in view.entries_table.value["last_error"].iloc[0]
        shown = shown_as_text(view)
        assert {"table:last_error", "table:last_message", "table:error_message"} <= shown


def test_the_since_filter_reads_the_picked_time_as_utc_and_keeps_entries_at_it(
    reader: Workbench,
) -> None:
    view = OutboxView(DashboardState(reader))
    total = len(view.entries)
    first = view.entries["created_at"].min().to_pydatetime()
    view.since.value = first.replace(tzinfo=None)
    assert len(view.entries) == total
    view.since.value = (first + timedelta(days=1)).replace(tzinfo=None)
    assert view.entries.empty
