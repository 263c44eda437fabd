"""Timeline: a stream's states through time, by aggregate or by merging payloads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

from event_sourcery import StreamId, connect
from tests.workbench.domain import MoneyMoved, Wallet, WalletOpened
from tests.workbench.store_data import ADA, PLUS_FIVE, T0, write_store
from workbench import ChangeKind, StateNotFound, Workbench

APP = "tests.workbench.domain"


@pytest.fixture
def wb(store_url: str) -> Iterator[Workbench]:
    write_store(store_url)
    with Workbench.open(store_url, app=APP) as workbench:
        yield workbench


def test_an_aggregate_timeline_shows_its_public_state_after_each_version(wb: Workbench) -> None:
    timeline = wb.timeline("wallet-ada", Wallet)
    assert timeline.last_version == 4
    assert timeline.at(0) == {"owner": {}, "balance": 0, "moves": 0}
    assert timeline.at(2) == {"owner": {"name": "Ada", "city": "Oslo"}, "balance": 50, "moves": 1}
    assert timeline.at(4) == {
        "owner": {"name": "Ada", "city": "Bergen"},
        "balance": -30,
        "moves": 2,
    }


def test_without_an_aggregate_the_state_is_the_running_merge_of_payloads(wb: Workbench) -> None:
    timeline = wb.timeline(ADA)
    assert timeline.at(1) == {"owner": {"name": "Ada", "city": "Oslo"}, "limit": 100}
    assert timeline.at(3) == {
        "owner": {"name": "Ada", "city": "Oslo"},
        "limit": 100,
        "amount": -80,
        "note": "",
    }
    assert timeline.at(4)["city"] == "Bergen"


def test_at_time_takes_the_last_event_recorded_at_or_before_the_moment(wb: Workbench) -> None:
    timeline = wb.timeline(ADA, Wallet)
    assert timeline.at_time(T0 + timedelta(hours=1, minutes=59))["balance"] == 50
    assert timeline.at_time(T0 + timedelta(hours=2))["balance"] == -30
    in_plus_five = (T0 + timedelta(hours=1)).astimezone(PLUS_FIVE)
    assert timeline.version_at(in_plus_five) == 2
    with pytest.raises(StateNotFound, match="first event was recorded at"):
        timeline.at_time(T0 - timedelta(seconds=1))


def test_versions_outside_the_stream_and_naive_times_are_refused(wb: Workbench) -> None:
    timeline = wb.timeline(ADA, Wallet)
    with pytest.raises(StateNotFound, match="versions 0 to 4"):
        timeline.at(5)
    with pytest.raises(StateNotFound, match="not a whole number"):
        timeline.at(1.5)  # type: ignore[arg-type]
    with pytest.raises(StateNotFound, match="not an aware datetime"):
        timeline.at_time(T0.replace(tzinfo=None))


def test_states_gives_one_row_per_version_with_the_state_flattened(wb: Workbench) -> None:
    states = wb.timeline(ADA, Wallet).states()
    assert list(states["version"]) == [1, 2, 3, 4]
    assert list(states["balance"]) == [0, 50, -30, -30]
    assert list(states["owner.city"]) == ["Oslo", "Oslo", "Oslo", "Bergen"]
    assert list(states["type"]) == [
        "wb.WalletOpened",
        "wb.MoneyMoved",
        "wb.MoneyMoved",
        "wb.OwnerMoved",
    ]
    assert str(states["created_at"].dtype) == "datetime64[us, UTC]"


def test_diff_lists_what_changed_between_two_versions(wb: Workbench) -> None:
    changes = wb.timeline(ADA, Wallet).diff(1, 4)
    assert [(c.path, c.kind, c.old, c.new) for c in changes] == [
        ("owner.city", ChangeKind.CHANGED, "Oslo", "Bergen"),
        ("balance", ChangeKind.CHANGED, 0, -30),
        ("moves", ChangeKind.CHANGED, 0, 2),
    ]


def test_changes_says_which_event_changed_which_field(wb: Workbench) -> None:
    changes = wb.timeline(ADA, Wallet).changes()
    rows = list(
        zip(changes["version"], changes["type"], changes["path"], changes["new"], strict=True)
    )
    assert rows == [
        (1, "wb.WalletOpened", "owner.name", "Ada"),
        (1, "wb.WalletOpened", "owner.city", "Oslo"),
        (2, "wb.MoneyMoved", "balance", 50),
        (2, "wb.MoneyMoved", "moves", 1),
        (3, "wb.MoneyMoved", "balance", -30),
        (3, "wb.MoneyMoved", "moves", 2),
        (4, "wb.OwnerMoved", "owner.city", "Bergen"),
    ]
    assert set(changes["change"]) == {"added", "changed"}


def test_first_finds_the_version_where_a_condition_first_holds(wb: Workbench) -> None:
    timeline = wb.timeline(ADA, Wallet)
    assert timeline.first(lambda s: s["balance"] < 0) == 3
    assert timeline.first(lambda s: s["balance"] > 1_000) is None
    merged = wb.timeline(ADA)
    assert merged.first(lambda s: s["amount"] < 0) == 3  # KeyError before: not yet


def test_the_event_behind_a_version_is_given_as_stored(wb: Workbench) -> None:
    event = wb.timeline(ADA, Wallet).event(2)
    assert (event["type"], event["data"]["amount"], event["version"]) == ("wb.MoneyMoved", 50, 2)
    assert event["context"]["causation_id"] == "00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize("every", [1, 3, 7, 100])
def test_jumps_through_checkpoints_give_the_state_a_full_replay_gives(
    store_url: str, every: int
) -> None:
    stream = StreamId(name="long", category="wallet")
    store = connect(store_url)
    owner = {"name": "L", "city": "C"}
    store.append(WalletOpened.model_validate({"owner": owner, "limit": 1}), stream_id=stream)
    for n in range(1, 40):
        store.append(MoneyMoved(amount=n * (-1) ** n), stream_id=stream, expected_version=n)
    store.close()
    with Workbench.open(store_url, app=APP) as wb:
        timeline = wb.timeline(stream, Wallet, checkpoint_every=every)
        expected = wb.timeline(stream, Wallet, checkpoint_every=1_000)
        for version in (17, 0, 40, 3, 39, 21, 1, 40):
            assert timeline.at(version) == expected.at(version)
            assert timeline.at(version)["moves"] == max(version - 1, 0)


def test_states_handed_out_are_copies_that_cannot_change_the_timeline(wb: Workbench) -> None:
    for timeline in (wb.timeline(ADA, Wallet), wb.timeline(ADA)):
        state = timeline.at(2)
        state["owner"]["city"] = "Mars"
        assert timeline.at(2)["owner"]["city"] == "Oslo"


def test_the_html_view_escapes_what_the_store_holds(wb: Workbench) -> None:
    shown = wb.timeline(ADA)._repr_html_()
    assert "<script>" not in shown
    assert "wallet-ada" in shown


def test_the_explorer_moves_to_the_version_its_slider_is_set_to(wb: Workbench) -> None:
    explorer: Any = wb.timeline(ADA, Wallet).explore()
    controls, view = explorer.children
    slider = controls.children[1]
    assert slider.max == 4
    slider.value = 2
    assert "Version 2: wb.MoneyMoved" in view.value
    assert "&lt;script&gt;" in view.value
    assert "<script>" not in view.value
    slider.value = 0
    assert "Before the first event" in view.value


def test_an_empty_stream_has_only_version_zero(wb: Workbench) -> None:
    timeline = wb.timeline(StreamId(name="never-written"))
    assert timeline.last_version == 0
    assert timeline.at(0) == {}
    assert timeline.states().empty
    assert timeline.changes().empty
    assert isinstance(timeline.states(), pd.DataFrame)


def test_states_every_nth_version_keep_the_last_one(wb: Workbench) -> None:
    states = wb.timeline(ADA, Wallet).states(every=3)
    assert list(states["version"]) == [3, 4]
    assert list(states["balance"]) == [-30, -30]
    assert list(states["type"]) == ["wb.MoneyMoved", "wb.OwnerMoved"]


def test_changes_of_a_range_of_versions_are_those_of_the_whole_stream_in_it(
    wb: Workbench,
) -> None:
    timeline = wb.timeline(ADA, Wallet, checkpoint_every=2)
    whole = timeline.changes()
    part = timeline.changes(2, 3)
    expected = whole[whole["version"].between(2, 3)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected, check_dtype=False)
    assert timeline.changes(4, 3).empty
    with pytest.raises(StateNotFound):
        timeline.changes(1, 9)
