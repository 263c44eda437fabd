"""The workbench on the demo store, on SQLite and PostgreSQL: the planted drift is found,
old schema versions show, nested payloads flatten, and the app's aggregates are known."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workbench import Workbench
from workbench.demo import DemoSummary, Invoice, Subscription, build_demo


@pytest.fixture
def demo(store_url: str) -> Iterator[tuple[Workbench, DemoSummary]]:
    summary = build_demo(store_url, events=2_000, seed=3, progress=False)
    with Workbench.open(store_url, app="workbench.demo") as wb:
        yield wb, summary


def test_the_audit_finds_the_one_snapshot_the_demo_drifted(
    demo: tuple[Workbench, DemoSummary],
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    audit = wb.audit_snapshots()
    drifted = audit[audit["status"] == "drift"]
    assert list(zip(drifted["stream_name"], drifted["version"], strict=True)) == [
        (summary.drifted_stream.name, summary.drifted_version)
    ]
    assert drifted["paths"].iloc[0] == "balance"
    assert (audit["status"] == "match").sum() == summary.snapshots - 1


def test_the_apps_aggregates_are_found_by_category(demo: tuple[Workbench, DemoSummary]) -> None:
    wb, _ = demo
    assert wb.aggregates == {"subscription": Subscription, "invoice": Invoice}


def test_old_schema_versions_show_as_stored_beside_the_current_ones(
    demo: tuple[Workbench, DemoSummary],
) -> None:
    wb, summary = demo
    types = wb.types().set_index("type")
    assert types.loc["demo.CustomerSubscribed", "schema_versions"] == [1, 2]
    old = wb.events(types=["demo.CustomerSubscribed"])
    assert (old["schema_version"] == 1).sum() == summary.legacy_events
    assert old.loc[old["schema_version"] == 1, "data.price"].isna().all()
    assert old["data.customer.address.city"].notna().all()


def test_a_subscription_steps_through_time_by_its_aggregate(
    demo: tuple[Workbench, DemoSummary],
) -> None:
    wb, summary = demo
    assert summary.drifted_stream is not None
    timeline = wb.timeline(summary.drifted_stream, Subscription)
    assert timeline.at(1)["status"] == "active"
    states = timeline.states()
    assert len(states) == timeline.last_version
    assert states["renewals"].is_monotonic_increasing


def test_every_event_is_in_the_frame_once(demo: tuple[Workbench, DemoSummary]) -> None:
    wb, summary = demo
    events = wb.events()
    assert len(events) == summary.events
    assert events["event_uuid"].is_unique
    assert wb.streams()["events"].sum() == summary.events


def test_snapshots_are_stamped_with_the_time_of_the_version_they_cover(
    demo: tuple[Workbench, DemoSummary],
) -> None:
    wb, _ = demo
    snapshots = wb.snapshots()
    assert not snapshots.empty
    events = wb.events(payload=False).set_index(["stream_id", "version"])
    for row in snapshots.itertuples():
        assert row.created_at == events.loc[(row.stream_id, row.version), "created_at"]
