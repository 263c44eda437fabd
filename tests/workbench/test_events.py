"""Workbench.events / streams / types / correlated / causation_tree on SQLite and
PostgreSQL: raw rows as frames, filters, unknown types, time zones, empty stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pandas as pd
import pytest

from event_sourcery import connect
from tests.workbench.domain import MoneyMoved
from tests.workbench.store_data import ADA, BOB, T0, UNKNOWN_TYPE, Written, uid, write_store
from workbench import InvalidFilter, Workbench

APP = "tests.workbench.domain"


@pytest.fixture
def written(store_url: str) -> Written:
    return write_store(store_url)


@pytest.fixture
def wb(store_url: str, written: Written) -> Iterator[Workbench]:
    with Workbench.open(store_url, app=APP) as workbench:
        yield workbench


def test_one_row_per_event_in_position_order_with_the_envelope_and_flattened_payload(
    wb: Workbench,
) -> None:
    frame = wb.events()
    assert len(frame) == 6
    assert frame["position"].is_monotonic_increasing
    assert list(frame.columns[:11]) == [
        "position",
        "stream_id",
        "stream_name",
        "category",
        "version",
        "type",
        "created_at",
        "event_uuid",
        "correlation_id",
        "causation_id",
        "schema_version",
    ]
    first = frame.iloc[0]
    assert (first["stream_name"], first["category"], first["version"]) == (
        "wallet-ada",
        "wallet",
        1,
    )
    assert (first["data.owner.name"], first["data.owner.city"], first["data.limit"]) == (
        "Ada",
        "Oslo",
        100,
    )
    assert first["event_uuid"] == str(uid(1))
    assert str(frame["type"].dtype) == "category"
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
    assert str(frame["version"].dtype) == "Int64"


def test_context_ids_come_out_as_text_and_missing_ones_as_na(wb: Workbench) -> None:
    frame = wb.events().set_index("event_uuid")
    withdrawal = frame.loc[str(uid(3))]
    assert (withdrawal["correlation_id"], withdrawal["causation_id"]) == (str(uid(1)), str(uid(2)))
    assert pd.isna(frame.loc[str(uid(1)), "correlation_id"])


def test_times_written_in_another_zone_are_the_same_instant_in_utc(wb: Workbench) -> None:
    bob = wb.events(stream=BOB).iloc[0]
    assert bob["created_at"] == pd.Timestamp(T0 + timedelta(minutes=30))
    assert bob["created_at"].tzinfo is not None
    assert bob["created_at"].utcoffset() == timedelta(0)


def test_an_event_of_a_type_nobody_here_knows_is_shown_raw(wb: Workbench) -> None:
    [row] = wb.events(types=[UNKNOWN_TYPE]).to_dict("records")
    assert (row["type"], row["data.code"], row["stream_name"]) == (UNKNOWN_TYPE, "x", "misc")
    types = wb.types().set_index("type")
    assert not types.loc[UNKNOWN_TYPE, "known"]
    assert types.loc["wb.MoneyMoved", "known"]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        ("wallet-ada", [1, 2, 3, 4]),
        (ADA, [1, 2, 3, 4]),
        (str(ADA.uuid), [1, 2, 3, 4]),
        (ADA.uuid, [1, 2, 3, 4]),
        ("wallet-bob", [5]),
    ],
)
def test_a_stream_is_found_by_name_uuid_text_uuid_or_stream_id(
    wb: Workbench, stream: object, expected: list[int]
) -> None:
    frame = wb.events(stream=stream)  # type: ignore[arg-type]
    assert list(frame["event_uuid"]) == [str(uid(n)) for n in expected]


def test_filters_by_category_type_time_position_and_limit(wb: Workbench) -> None:
    def uuids(frame: pd.DataFrame) -> list[str]:
        return list(frame["event_uuid"])

    assert uuids(wb.events(category="wallet")) == [str(uid(n)) for n in (1, 2, 3, 5, 4)]
    assert uuids(wb.events(category=[None])) == [str(uid(6))]
    assert uuids(wb.events(types=[MoneyMoved])) == [str(uid(2)), str(uid(3))]
    assert uuids(wb.events(types=["wb.OwnerMoved"])) == [str(uid(4))]
    window = wb.events(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert uuids(window) == [str(uid(2)), str(uid(3))]
    first_two = wb.events(limit=2)
    assert uuids(first_two) == [str(uid(1)), str(uid(2))]
    assert uuids(wb.events(after=int(first_two["position"].iloc[-1]), limit=1)) == [str(uid(3))]
    assert uuids(wb.events(stream=ADA, types=[MoneyMoved], limit=1)) == [str(uid(2))]


def test_without_payloads_the_frame_has_only_the_envelope(wb: Workbench) -> None:
    frame = wb.events(payload=False)
    assert len(frame) == 6
    assert not [c for c in frame.columns if c.startswith("data.")]


def test_a_stream_nobody_wrote_is_refused_with_its_name(wb: Workbench) -> None:
    with pytest.raises(InvalidFilter, match="no stream named 'nobody'"):
        wb.events(stream="nobody")


def test_streams_lists_each_stream_with_its_counts_and_times(wb: Workbench) -> None:
    streams = wb.streams().set_index("stream_name")
    ada = streams.loc["wallet-ada"]
    assert (ada["category"], ada["version"], ada["events"], ada["snapshots"]) == ("wallet", 4, 4, 1)
    assert ada["first_at"] == pd.Timestamp(T0)
    assert ada["last_at"] == pd.Timestamp(T0 + timedelta(hours=3))
    assert set(streams.index) == {"wallet-ada", "wallet-bob", "misc"}


def test_types_counts_each_type_with_first_and_last_seen(wb: Workbench) -> None:
    types = wb.types().set_index("type")
    moved = types.loc["wb.MoneyMoved"]
    assert moved["count"] == 2
    assert moved["first_seen"] == pd.Timestamp(T0 + timedelta(hours=1))
    assert moved["last_seen"] == pd.Timestamp(T0 + timedelta(hours=2))
    assert moved["schema_versions"] == [1]
    assert types.index[0] == "wb.MoneyMoved"  # the most frequent first


def test_correlated_gives_the_conversation_with_the_event_that_started_it(wb: Workbench) -> None:
    frame = wb.correlated(uid(1))
    assert list(frame["event_uuid"]) == [str(uid(1)), str(uid(2)), str(uid(3))]


def test_causation_tree_goes_up_to_the_first_cause_and_down_to_every_effect(
    wb: Workbench,
) -> None:
    tree = wb.causation_tree(uid(2))
    assert list(zip(tree["event_uuid"], tree["depth"], tree["is_target"], strict=True)) == [
        (str(uid(1)), 0, False),
        (str(uid(2)), 1, True),
        (str(uid(3)), 2, False),
    ]
    assert wb.causation_tree(uid(99)).empty


def test_an_empty_store_gives_empty_frames_with_their_columns(store_url: str) -> None:
    connect(store_url).close()  # tables, no events
    with Workbench.open(store_url) as wb:
        events = wb.events()
        assert events.empty
        assert "event_uuid" in events.columns
        assert str(events["created_at"].dtype) == "datetime64[us, UTC]"
        assert wb.streams().empty
        assert wb.types().empty
        assert wb.correlated(uid(1)).empty
        assert wb.causation_tree(uid(1)).empty


def test_times_in_filters_may_be_in_any_zone(wb: Workbench) -> None:
    since = (T0 + timedelta(hours=1)).astimezone(UTC).astimezone()
    assert len(wb.events(since=since)) == 4


def test_opening_a_url_without_a_store_is_refused_and_creates_nothing(
    store_url: str, tmp_path: Path
) -> None:
    from workbench import StoreNotFound

    with pytest.raises(StoreNotFound, match="no event store at"):
        Workbench.open(store_url)  # the database exists, its tables do not
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreNotFound, match="there is no file"):
        Workbench.open(f"sqlite:///{missing}")
    assert not missing.exists()
    with pytest.raises(StoreNotFound, match="is a folder, not an SQLite file"):
        Workbench.open(f"sqlite:///{tmp_path}")


def test_opening_a_url_that_is_none_or_a_server_that_is_down_says_so() -> None:
    from event_sourcery import StoreUnavailable, UnsupportedURL

    with pytest.raises(UnsupportedURL, match="not a database URL"):
        Workbench.open("not a url")
    with pytest.raises(StoreUnavailable, match="cannot reach") as caught:
        Workbench.open("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(caught.value)
