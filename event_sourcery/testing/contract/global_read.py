"""Reading the whole store: position order, filters that combine, the safe position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidRange
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.streams import StreamId
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.events import Deposited, Opened

T0 = datetime(2024, 5, 1, tzinfo=UTC)


class BigDeposit(Deposited):
    """A subclass: reading ``types=[Deposited]`` includes it."""

    __event_name__: ClassVar[str] = "contract.BigDeposit"


def fill(store: EventStore) -> tuple[int, StreamId, StreamId]:
    """Five events in two streams, one hour apart from T0; returns the position before."""
    before = store.position
    orders, plain = StreamId(uuid4(), category="orders"), StreamId(uuid4())
    at = [T0 + timedelta(hours=h) for h in range(5)]
    store.append(Envelope(event=Opened(owner="ann"), created_at=at[0]), stream_id=orders)
    store.append(Envelope(event=Deposited(amount=1), created_at=at[1]), stream_id=plain)
    store.append(
        Envelope(event=Deposited(amount=2), created_at=at[2]),
        Envelope(event=BigDeposit(amount=300), created_at=at[3]),
        stream_id=orders,
        expected_version=1,
    )
    store.append(
        Envelope(event=Deposited(amount=4), created_at=at[4]),
        stream_id=plain,
        expected_version=1,
    )
    return before, orders, plain


def summary(records: list[Any]) -> list[tuple[str, int]]:
    return [(type(r.event).__name__, getattr(r.event, "amount", 0)) for r in records]


class GlobalReadContract(BaseContract):
    def test_every_stream_comes_back_in_position_order(self, store: EventStore) -> None:
        before, orders, plain = fill(store)
        read = store.read_all(after=before)
        assert summary(read) == [
            ("Opened", 0),
            ("Deposited", 1),
            ("Deposited", 2),
            ("BigDeposit", 300),
            ("Deposited", 4),
        ]
        positions = [r.position for r in read]
        assert positions == sorted(positions)
        assert len(set(positions)) == 5
        assert [r.stream_id for r in read] == [orders, plain, orders, orders, plain]
        assert read[0].stream_id.category == "orders"
        assert store.position == positions[-1]

    def test_after_is_exclusive_and_limit_caps_a_page(self, store: EventStore) -> None:
        before, _, _ = fill(store)
        everything = store.read_all(after=before)
        first_page = store.read_all(after=before, limit=2)
        second_page = store.read_all(after=first_page[-1].position, limit=2)
        assert first_page + second_page == everything[:4]
        assert store.read_all(after=everything[-1].position) == []
        assert store.read_all(after=before, limit=0) == []

    def test_filters_combine(self, store: EventStore) -> None:
        before, _, _ = fill(store)
        assert summary(store.read_all(after=before, types=[Deposited])) == [
            ("Deposited", 1),
            ("Deposited", 2),
            ("BigDeposit", 300),
            ("Deposited", 4),
        ]
        assert summary(store.read_all(after=before, types=["contract.Deposited"])) == [
            ("Deposited", 1),
            ("Deposited", 2),
            ("Deposited", 4),
        ]
        assert summary(store.read_all(after=before, categories=["orders"])) == [
            ("Opened", 0),
            ("Deposited", 2),
            ("BigDeposit", 300),
        ]
        assert summary(store.read_all(after=before, categories=[None])) == [
            ("Deposited", 1),
            ("Deposited", 4),
        ]
        since, until = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
        assert summary(store.read_all(after=before, since=since, until=until)) == [
            ("Deposited", 1),
            ("Deposited", 2),
        ]
        assert summary(
            store.read_all(
                after=before, types=[Deposited], categories=["orders"], since=since, until=until
            )
        ) == [("Deposited", 2)]
        assert store.read_all(after=before, types=[], categories=["orders"]) == []

    def test_a_page_says_where_to_read_on_from(self, store: EventStore) -> None:
        before, _, _ = fill(store)
        cut = store.read_page(after=before, limit=2)
        assert cut.position == cut.events[-1].position
        filtered = store.read_page(after=before, types=["contract.Opened"], limit=5)
        assert summary(filtered.events) == [("Opened", 0)]
        assert filtered.position == store.position  # past everything the filter left out
        assert store.read_page(after=store.position).position == store.position

    def test_the_raw_read_gives_names_and_json(self, store: EventStore) -> None:
        before, orders, _ = fill(store)
        [raw] = store.read_all_raw(after=before, limit=1)
        assert (raw.type, raw.data, raw.stream_id, raw.version) == (
            "contract.Opened",
            {"owner": "ann"},
            orders,
            1,
        )
        assert raw.created_at == T0

    def test_deleted_streams_leave_the_global_read(self, store: EventStore) -> None:
        before, orders, plain = fill(store)
        store.delete_stream(orders)
        assert [r.stream_id for r in store.read_all(after=before)] == [plain, plain]

    def test_the_horizon_reaches_every_committed_event(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2, 3), stream_id=stream)
        horizon = store.horizon()
        last = store.load_stream(stream)[-1].position
        assert horizon.position == horizon.allocated == last == store.position
        assert (horizon.held_back, horizon.held_since, horizon.blocking) == (0, None, ())

    @pytest.mark.parametrize(
        "arguments",
        [
            {"after": -1},
            {"after": "5"},
            {"limit": -2},
            {"since": datetime(2024, 1, 1)},
            {"until": "yesterday"},
        ],
        ids=["negative-after", "text-after", "negative-limit", "naive-since", "text-until"],
    )
    def test_bad_arguments_are_refused(self, store: EventStore, arguments: Any) -> None:
        with pytest.raises(InvalidRange):
            store.read_all(**arguments)
