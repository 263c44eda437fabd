"""Ranged and raw loads, unknown types and the errors callers see."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.context import Context
from event_sourcery.errors import (
    EventStoreError,
    InvalidRange,
    InvalidStreamId,
    UndecodableEvent,
    UnknownEventType,
)
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.registry import EventRegistry
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, deposits, versions
from event_sourcery.testing.events import Deposited, Opened, Renamed


class LoadContract(BaseContract):
    def test_a_range_start_2_stop_5_returns_versions_2_to_4(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(*range(1, 8)), stream_id=stream)
        assert versions(store, stream, start=2, stop=5) == [2, 3, 4]
        assert versions(store, stream, start=6) == [6, 7]
        assert versions(store, stream, stop=3) == [1, 2]
        assert versions(store, stream, start=8) == []
        assert versions(store, stream, start=3, stop=3) == []

    def test_an_unknown_stream_loads_as_empty(self, store: EventStore) -> None:
        assert store.load_stream(uuid4()) == []
        assert store.load_stream_raw(StreamId(name=f"nobody-{uuid4()}")) == []

    def test_the_raw_read_gives_type_names_and_json(self, store: EventStore) -> None:
        stream = uuid4()
        context = Context(correlation_id=uuid4(), tenant="t")
        store.append(Envelope(event=Opened(owner="ann"), context=context), stream_id=stream)
        [raw] = store.load_stream_raw(stream)
        assert raw.type == "contract.Opened"
        assert raw.data == {"owner": "ann"}
        assert raw.context["tenant"] == "t"
        assert raw.context["correlation_id"] == str(context.correlation_id)
        assert raw.version == 1
        assert raw.stream_id == StreamId(stream)

    def test_an_unregistered_type_raises_naming_type_and_stream(self, backend: Backend) -> None:
        writer = backend.open()
        stream = uuid4()
        writer.append(Opened(owner="x"), stream_id=stream)
        reader = backend.open(registry=EventRegistry())
        with pytest.raises(UnknownEventType) as caught:
            reader.load_stream(stream)
        assert caught.value.type_name == "contract.Opened"
        assert str(stream) in str(caught.value)
        [raw] = reader.load_stream_raw(stream)
        assert raw.data == {"owner": "x"}

    def test_every_error_is_an_event_store_error_with_a_message(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        attempts: list[Any] = [
            lambda: store.append(Deposited(amount=1), stream_id=stream),
            lambda: store.append(stream_id=stream),
            lambda: store.append(Deposited(amount=1), stream_id=stream, expected_version=-3),
        ]
        for attempt in attempts:
            with pytest.raises(EventStoreError) as caught:
                attempt()
            assert len(str(caught.value)) > 20

    def test_a_row_its_class_cannot_read_raises_naming_the_row(self, backend: Backend) -> None:
        stream = uuid4()
        backend.open().append(Opened(owner="x"), stream_id=stream)
        drifted = EventRegistry()
        drifted.add(Renamed, "contract.Opened")  # the class changed shape since the write
        with pytest.raises(UndecodableEvent, match="new_owner") as caught:
            backend.open(registry=drifted).load_stream(stream)
        assert caught.value.type_name == "contract.Opened"
        assert caught.value.version == 1
        assert str(stream) in str(caught.value)

    @pytest.mark.parametrize("bound", [2**63, 2**64, -(2**63) - 1])
    def test_out_of_range_bounds_load_nothing_or_everything(
        self, store: EventStore, bound: int
    ) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2), stream_id=stream)
        expected_from = [] if bound > 0 else [1, 2]
        assert versions(store, stream, start=bound) == expected_from
        assert versions(store, stream, stop=bound) == ([1, 2] if bound > 0 else [])

    @pytest.mark.parametrize("bad", ["2", 1.5, True])
    def test_bounds_that_are_not_versions_are_refused(self, store: EventStore, bad: Any) -> None:
        with pytest.raises(InvalidRange, match="not a version"):
            store.load_stream(uuid4(), start=bad)

    def test_a_stream_id_that_is_not_one_is_refused(self, store: EventStore) -> None:
        with pytest.raises(InvalidStreamId):
            store.append(Opened(owner="x"), stream_id="order-1")  # type: ignore[arg-type]
        with pytest.raises(InvalidStreamId):
            store.load_stream(12345)  # type: ignore[arg-type]
