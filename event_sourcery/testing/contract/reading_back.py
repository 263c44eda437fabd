"""Reading the whole store newest first, finding one event by uuid, listing stored types."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidRange
from event_sourcery.event_store import EventStore
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.contract.global_read import T0, BigDeposit, fill, summary
from event_sourcery.testing.events import Deposited


class BackwardReadContract(BaseContract):
    def test_a_backward_read_is_the_forward_read_reversed(self, store: EventStore) -> None:
        before, _, _ = fill(store)
        forward = store.read_all(after=before)
        backward = store.read_all_backwards()[: len(forward)]
        assert [r.position for r in backward] == [r.position for r in reversed(forward)]
        assert summary(backward) == summary(list(reversed(forward)))
        assert backward[0].position == store.position

    def test_before_is_exclusive_and_limit_caps_a_page(self, store: EventStore) -> None:
        before, _, _ = fill(store)
        positions = [r.position for r in store.read_all(after=before)]
        first = store.read_all_raw_backwards(limit=2)
        second = store.read_all_raw_backwards(before=first[-1].position, limit=2)
        assert [r.position for r in first + second] == positions[::-1][:4]
        assert [r.position for r in store.read_all_raw_backwards(before=positions[1])][:1] == [
            positions[0]
        ]
        assert all(r.position < positions[0] for r in store.read_all_raw_backwards(positions[0]))
        assert store.read_all_raw_backwards(before=1) == []
        assert store.read_all_raw_backwards(limit=0) == []

    def test_backward_filters_combine_as_forward_ones(self, store: EventStore) -> None:
        before, _, _ = fill(store)
        since, until = T0 + timedelta(hours=1), T0 + timedelta(hours=4)
        for filters in (
            {"types": [Deposited]},
            {"types": ["contract.Opened", "contract.BigDeposit"]},
            {"categories": ["orders"]},
            {"categories": [None]},
            {"since": since, "until": until},
            {"types": [Deposited], "categories": ["orders"], "since": since},
        ):
            forward = store.read_all(after=before, **filters)
            backward = store.read_all_backwards(**filters)
            assert summary(backward[: len(forward)]) == summary(list(reversed(forward)))
        assert summary(store.read_all_backwards(types=[BigDeposit], limit=1)) == [
            ("BigDeposit", 300)
        ]

    def test_a_backward_read_of_an_empty_range_is_empty(self, store: EventStore) -> None:
        assert store.read_all_backwards(before=0) == []
        stream = uuid4()
        store.append(*deposits(1), stream_id=stream)
        assert store.read_all_backwards(types=["contract.Nothing"]) == []

    @pytest.mark.parametrize(
        "arguments",
        [{"before": -1}, {"before": "5"}, {"limit": -1}],
        ids=["negative-before", "text-before", "negative-limit"],
    )
    def test_bad_backward_arguments_are_refused(
        self, store: EventStore, arguments: dict[str, object]
    ) -> None:
        with pytest.raises(InvalidRange):
            store.read_all_backwards(**arguments)  # type: ignore[arg-type]

    def test_an_event_is_found_by_its_uuid(self, store: EventStore) -> None:
        _, orders, _ = fill(store)
        [stored] = store.load_stream_raw(orders, 2, 3)
        found = store.event_raw(stored.uuid)
        assert found == stored
        assert found is not None
        assert found.stream_id == orders
        assert store.event_raw(uuid4()) is None
        with pytest.raises(InvalidRange):
            store.event_raw(str(stored.uuid))  # type: ignore[arg-type]

    def test_a_deleted_event_is_not_found(self, store: EventStore) -> None:
        _, orders, _ = fill(store)
        [stored] = store.load_stream_raw(orders, 1, 2)
        store.delete_stream(orders)
        assert store.event_raw(stored.uuid) is None

    def test_the_stored_types_are_listed_once_each_sorted(self, store: EventStore) -> None:
        assert store.event_types() == []
        _, orders, _ = fill(store)
        assert store.event_types() == [
            "contract.BigDeposit",
            "contract.Deposited",
            "contract.Opened",
        ]
        store.delete_stream(orders)
        assert store.event_types() == ["contract.Deposited"]
