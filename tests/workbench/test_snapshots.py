"""Snapshots against the events: comparison, audit of all, and diffs between snapshots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from event_sourcery import EventRegistry, connect
from tests.workbench.domain import Wallet, WalletSnapshot
from tests.workbench.store_data import ADA, BOB, MISC, Secret, write_store
from workbench import InvalidFilter, NoAggregateFor, SnapshotStatus, Workbench

APP = "tests.workbench.domain"
ADA_AT_2 = {"owner": {"name": "Ada", "city": "Oslo"}, "balance": 50, "moves": 1}


@pytest.fixture
def wb(store_url: str) -> Iterator[Workbench]:
    write_store(store_url)  # Ada has a true snapshot at version 2
    store = connect(store_url)
    drifted = WalletSnapshot(owner={"name": "Ada", "city": "Oslo"}, balance=-20, moves=2)
    store.save_snapshot(ADA, drifted, 3)  # the events give -30 at version 3
    store.save_snapshot(
        BOB, WalletSnapshot(owner={"name": "Bob", "city": "Rome"}, balance=0, moves=0), 1
    )
    store.close()
    registry = EventRegistry()
    registry.add(Secret, "wb.SnapshotOnlyItsWriterKnows")
    writer = connect(store_url, registry=registry)
    writer.save_snapshot(MISC, Secret(code="?"), 1)
    writer.close()
    with Workbench.open(store_url, app=APP) as workbench:
        yield workbench


def test_the_aggregates_of_the_app_are_found_by_category(wb: Workbench) -> None:
    assert wb.aggregates == {"wallet": Wallet}


def test_snapshots_lists_every_snapshot_with_its_stream_version_time_and_class(
    wb: Workbench,
) -> None:
    frame = wb.snapshots()
    rows = list(zip(frame["stream_name"], frame["version"], frame["type"], strict=True))
    assert rows == [
        ("wallet-ada", 2, "wb.WalletSnapshot"),
        ("wallet-ada", 3, "wb.WalletSnapshot"),
        ("wallet-bob", 1, "wb.WalletSnapshot"),
        ("misc", 1, "wb.SnapshotOnlyItsWriterKnows"),
    ]
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
    assert list(wb.snapshots("wallet-bob")["version"]) == [1]


def test_a_snapshot_that_the_events_agree_with_matches(wb: Workbench) -> None:
    comparison = wb.compare_snapshot("wallet-ada", 2)
    assert comparison.matches
    assert comparison.status is SnapshotStatus.MATCH
    assert comparison.stored == comparison.rebuilt == ADA_AT_2
    assert not comparison.diff


def test_a_snapshot_that_differs_from_the_replay_is_drift_with_the_paths(wb: Workbench) -> None:
    comparison = wb.compare_snapshot("wallet-ada")  # the latest: version 3
    assert comparison.version == 3
    assert comparison.status is SnapshotStatus.DRIFT
    assert [(c.path, c.old, c.new) for c in comparison.diff] == [("balance", -20, -30)]
    assert "drift" in comparison._repr_html_()


def test_the_audit_checks_every_snapshot(wb: Workbench) -> None:
    audit = wb.audit_snapshots()
    rows = list(
        zip(audit["stream_name"], audit["version"], audit["status"], audit["paths"], strict=True)
    )
    assert rows == [
        ("wallet-ada", 2, "match", ""),
        ("wallet-ada", 3, "drift", "balance"),
        ("wallet-bob", 1, "match", ""),
        ("misc", 1, "undecodable", ""),
    ]
    assert "no aggregate class" in audit["reason"].iloc[3]


def test_a_snapshot_whose_class_is_unknown_is_undecodable_not_a_crash(
    wb: Workbench,
) -> None:
    comparison = wb.compare_snapshot("wallet-ada", 2)
    assert comparison.matches
    with pytest.raises(NoAggregateFor, match="category None"):
        wb.compare_snapshot("misc")
    misc = Workbench(wb.store, aggregates=[Wallet])
    misc.aggregates[None] = Wallet
    unknown = misc.compare_snapshot("misc")
    assert unknown.status is SnapshotStatus.UNDECODABLE
    assert "wb.SnapshotOnlyItsWriterKnows" in (unknown.reason or "")


def test_two_snapshots_of_a_stream_are_diffed(wb: Workbench) -> None:
    changes = wb.diff_snapshots("wallet-ada", 2, 3)
    assert [(c.path, c.old, c.new) for c in changes] == [("balance", 50, -20), ("moves", 1, 2)]
    raw = wb.diff_snapshots("misc", 1, 1)
    assert not raw  # unknown class: compared as stored


def test_a_version_without_a_snapshot_is_refused(wb: Workbench) -> None:
    with pytest.raises(InvalidFilter, match="no snapshot at version 4"):
        wb.compare_snapshot("wallet-ada", 4)


def test_a_store_without_snapshots_audits_to_an_empty_frame(store_url: str) -> None:
    connect(store_url).close()
    with Workbench.open(store_url, app=APP) as wb:
        assert wb.snapshots().empty
        audit = wb.audit_snapshots()
        assert audit.empty
        assert "status" in audit.columns
