"""What the store holds, for tools: the list of streams with their counts and times, and
every stream's snapshots in one read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidRange, InvalidStreamId
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope, RecordedSnapshot
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, caller_transaction, deposits
from event_sourcery.testing.events import AccountSnapshot, Deposited
from event_sourcery.versioning import ANY, NO_VERSIONING


def snapshot(balance: int) -> AccountSnapshot:
    return AccountSnapshot(balance=balance, deposits=balance)


def listed(store: EventStore, **kwargs: Any) -> list[StreamId]:
    return [info.stream_id for info in store.streams(**kwargs)]


def one_event_each(store: EventStore, *streams: StreamId) -> None:
    for stream in streams:
        store.append(Deposited(amount=1), stream_id=stream)


class CatalogContract(BaseContract):
    def test_an_empty_store_lists_no_streams_and_no_snapshots(self, store: EventStore) -> None:
        assert store.streams() == []
        assert store.snapshots_raw() == []
        assert store.snapshots() == []

    def test_streams_are_listed_by_first_event_with_their_ids_as_stored(
        self, store: EventStore
    ) -> None:
        named = StreamId(name=f"cart-{uuid4()}", category="carts")
        bare = uuid4()
        same_uuid = StreamId(bare, category="orders")
        store.append(Deposited(amount=1), stream_id=named)
        store.append(Deposited(amount=1), stream_id=bare)
        store.append(Deposited(amount=1), stream_id=same_uuid)
        store.append(Deposited(amount=2), stream_id=named, expected_version=1)  # stays first
        infos = store.streams()
        assert [info.stream_id for info in infos] == [named, StreamId(bare), same_uuid]
        assert [(i.stream_id.uuid, i.stream_id.name, i.stream_id.category) for i in infos] == [
            (named.uuid, named.name, "carts"),
            (bare, None, None),
            (bare, None, "orders"),
        ]

    def test_a_stream_counts_its_events_and_snapshots_and_times_its_first_and_last_event(
        self, store: EventStore
    ) -> None:
        """The times are those of the first and last event in stream order, in UTC, even
        when an envelope dated the last one earlier than the others."""
        stream = StreamId(uuid4(), category="accounts")
        first = datetime(2024, 1, 1, 12, tzinfo=UTC)
        last = datetime(2024, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
        store.append(
            Envelope(event=Deposited(amount=1), created_at=first),
            Deposited(amount=2),
            Envelope(event=Deposited(amount=3), created_at=last),
            stream_id=stream,
        )
        store.save_snapshot(stream, snapshot(1), version=1)
        store.save_snapshot(stream, snapshot(3), version=3)
        [info] = store.streams()
        assert (info.stream_id, info.version, info.events, info.snapshots) == (stream, 3, 3, 2)
        assert (info.first_at, info.last_at) == (first, last)
        assert info.first_at is not None
        assert info.last_at is not None
        assert info.first_at.utcoffset() == info.last_at.utcoffset() == timedelta(0)

    def test_versions_follow_appends_and_a_versionless_stream_has_none(
        self, store: EventStore
    ) -> None:
        versioned, versionless = uuid4(), uuid4()
        store.append(*deposits(1, 2), stream_id=versioned)
        assert [(i.version, i.events) for i in store.streams()] == [(2, 2)]
        store.append(*deposits(3), stream_id=versioned, expected_version=ANY)
        store.append(*deposits(4, 5), stream_id=versionless, expected_version=NO_VERSIONING)
        store.append(*deposits(6), stream_id=versionless, expected_version=NO_VERSIONING)
        assert [(i.version, i.events) for i in store.streams()] == [(3, 3), (None, 3)]

    def test_categories_filter_the_listing_and_none_means_without_a_category(
        self, store: EventStore
    ) -> None:
        a, b, plain = StreamId(uuid4(), category="a"), StreamId(uuid4(), category="b"), uuid4()
        one_event_each(store, a, b, StreamId(plain))
        assert listed(store, categories=["b"]) == [b]
        assert listed(store, categories=[None]) == [StreamId(plain)]
        assert listed(store, categories=iter(["a", None])) == [a, StreamId(plain)]
        assert listed(store, categories=["missing"]) == []
        assert listed(store, categories=[]) == []

    def test_limit_keeps_the_first_streams_in_creation_order(self, store: EventStore) -> None:
        made = [StreamId(uuid4(), category=c) for c in ("x", "y", "x", "x")]
        one_event_each(store, *made)
        assert listed(store, limit=2) == made[:2]
        assert listed(store, limit=10) == made
        assert listed(store, limit=0) == []
        assert listed(store, categories=["x"], limit=2) == [made[0], made[2]]

    def test_a_deleted_stream_is_no_longer_listed_nor_are_its_snapshots(
        self, store: EventStore
    ) -> None:
        gone, kept = uuid4(), uuid4()
        store.append(*deposits(1, 1), stream_id=gone)
        store.append(*deposits(1), stream_id=kept)
        store.save_snapshot(gone, snapshot(2), version=2)
        store.delete_stream(gone)
        assert listed(store) == [StreamId(kept)]
        assert store.snapshots_raw() == []

    def test_every_snapshot_comes_by_stream_creation_then_version_then_saving_order(
        self, store: EventStore
    ) -> None:
        first = StreamId(name=f"first-{uuid4()}", category="accounts")
        second = StreamId(uuid4())
        store.append(*deposits(1, 1, 1), stream_id=first)
        store.append(*deposits(1, 1), stream_id=second)
        store.append(*deposits(1), stream_id=first, expected_version=3)
        store.save_snapshot(second, snapshot(1), version=1)
        store.save_snapshot(first, snapshot(40), version=4)
        store.save_snapshot(first, snapshot(2), version=2)
        store.save_snapshot(first, snapshot(22), version=2)
        raws = store.snapshots_raw()
        assert [(r.stream_id, r.version, r.data["balance"]) for r in raws] == [
            (first, 2, 2),
            (first, 2, 22),
            (first, 4, 40),
            (second, 1, 1),
        ]
        assert (raws[0].stream_id.name, raws[0].stream_id.category) == (first.name, "accounts")
        assert (raws[-1].stream_id.name, raws[-1].stream_id.category) == (None, None)
        assert store.snapshots_raw(first) == raws[:3]
        assert store.snapshots_raw(second) == raws[3:]

    def test_every_snapshot_decodes_as_a_recorded_snapshot_of_its_stream(
        self, store: EventStore
    ) -> None:
        a, b = StreamId(uuid4(), category="a"), StreamId(uuid4(), category="b")
        store.append(*deposits(1, 1), stream_id=a)
        store.append(*deposits(1), stream_id=b)
        store.save_snapshot(b, snapshot(1), version=1)
        store.save_snapshot(a, snapshot(2), version=2)
        decoded = store.snapshots()
        assert all(isinstance(s, RecordedSnapshot) for s in decoded)
        assert [(s.stream_id, s.version, s.event) for s in decoded] == [
            (a, 2, snapshot(2)),
            (b, 1, snapshot(1)),
        ]

    def test_a_rolled_back_append_leaves_nothing_listed(self, backend: Backend) -> None:
        with caller_transaction(backend) as tx:
            tx.store.append(*deposits(1), stream_id=uuid4())
            assert [i.events for i in tx.store.streams()] == [1]
            tx.rollback()
        assert backend.open().streams() == []

    @pytest.mark.parametrize("limit", [-1, 1.5, True, "3"])
    def test_a_limit_that_is_not_a_count_of_streams_is_refused(
        self, store: EventStore, limit: Any
    ) -> None:
        with pytest.raises(InvalidRange, match="limit="):
            store.streams(limit=limit)

    @pytest.mark.parametrize("categories", ["orders", 7, [1], [b"orders"]])
    def test_categories_that_are_not_a_list_of_categories_are_refused(
        self, store: EventStore, categories: Any
    ) -> None:
        with pytest.raises(InvalidRange, match="categories="):
            store.streams(categories=categories)

    def test_snapshots_of_a_value_that_is_not_a_stream_id_are_refused(
        self, store: EventStore
    ) -> None:
        with pytest.raises(InvalidStreamId):
            store.snapshots_raw("order-1")  # type: ignore[arg-type]
        with pytest.raises(InvalidStreamId):
            store.snapshots(12345)  # type: ignore[arg-type]

    def test_raw_rows_decode_as_the_decoded_reads_give_them(self, store: EventStore) -> None:
        stream = StreamId(name=f"decoded-{uuid4().hex}")
        store.append(*deposits(1, 2), stream_id=stream)
        store.save_snapshot(stream, snapshot(3), 2)
        assert store.decode(store.load_stream_raw(stream)) == store.load_stream(
            stream, snapshots=False
        )
        [stored] = store.decode(store.snapshots_raw(stream), snapshots=True)
        assert isinstance(stored, RecordedSnapshot)
        assert stored == store.snapshots(stream)[0]

    @pytest.mark.parametrize("categories", ["orders", [1]])
    def test_reading_the_whole_store_refuses_categories_that_are_not_a_list_of_them(
        self, store: EventStore, categories: Any
    ) -> None:
        with pytest.raises(InvalidRange, match="categories="):
            store.read_all(categories=categories)
