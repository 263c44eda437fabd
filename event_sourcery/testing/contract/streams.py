"""Stream identity (uuid, name, category) and deleting streams."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest

from event_sourcery.errors import (
    StreamNameConflict,
)
from event_sourcery.event_store import EventStore
from event_sourcery.streams import StreamId
from event_sourcery.testing.contract.base import BaseContract, deposits, versions
from event_sourcery.testing.events import Deposited
from event_sourcery.versioning import ANY, NO_VERSIONING


class StreamContract(BaseContract):
    def test_a_uuid_and_a_stream_id_of_it_are_one_stream(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        store.append(Deposited(amount=2), stream_id=StreamId(stream), expected_version=1)
        assert versions(store, StreamId(stream)) == [1, 2]

    def test_a_name_alone_always_reaches_the_same_stream(self, store: EventStore) -> None:
        name = f"order-{uuid4()}"
        store.append(Deposited(amount=1), stream_id=StreamId(name=name))
        store.append(Deposited(amount=2), stream_id=StreamId(name=name), expected_version=1)
        loaded = store.load_stream(StreamId(name=name))
        assert [e.version for e in loaded] == [1, 2]
        assert loaded[0].stream_id.name == name
        assert StreamId(name=name).uuid == StreamId(name=name).uuid

    def test_a_loaded_stream_id_carries_its_stored_name(self, store: EventStore) -> None:
        stream = StreamId(uuid4(), name=f"cart-{uuid4()}", category="carts")
        store.append(Deposited(amount=1), stream_id=stream)
        [recorded] = store.load_stream(StreamId(stream.uuid, category="carts"))
        assert recorded.stream_id.name == stream.name
        assert recorded.stream_id.category == "carts"

    def test_one_name_bound_to_two_uuids_is_refused(self, store: EventStore) -> None:
        name = f"invoice-{uuid4()}"
        first, second = uuid4(), uuid4()
        store.append(Deposited(amount=1), stream_id=StreamId(first, name=name))
        for expected in (0, ANY, NO_VERSIONING):
            with pytest.raises(StreamNameConflict, match=name) as caught:
                store.append(
                    Deposited(amount=2),
                    stream_id=StreamId(second, name=name),
                    expected_version=expected,
                )
            assert caught.value.stream_id.uuid == second
        assert store.load_stream(second) == []
        assert versions(store, first) == [1]

    def test_the_same_uuid_in_two_categories_is_two_streams(self, store: EventStore) -> None:
        shared = uuid4()
        store.append(Deposited(amount=1), stream_id=StreamId(shared, category="a"))
        store.append(*deposits(2, 3), stream_id=StreamId(shared, category="b"))
        assert [e.event for e in store.load_stream(StreamId(shared, category="a"))] == deposits(1)
        assert [e.event for e in store.load_stream(StreamId(shared, category="b"))] == deposits(
            2, 3
        )
        assert store.load_stream(shared) == []

    def test_a_deleted_stream_is_gone_and_can_start_again(self, store: EventStore) -> None:
        stream, other = StreamId(name=f"gone-{uuid4()}"), uuid4()
        store.append(*deposits(1, 2), stream_id=stream)
        store.append(Deposited(amount=9), stream_id=other)
        store.delete_stream(stream)
        assert store.load_stream(stream) == []
        assert versions(store, other) == [1]
        store.append(Deposited(amount=3), stream_id=stream)
        assert versions(store, stream) == [1]

    def test_deleting_a_missing_stream_does_nothing(self, store: EventStore) -> None:
        kept = uuid4()
        store.append(Deposited(amount=1), stream_id=kept)
        store.delete_stream(uuid4())
        assert versions(store, kept) == [1]

    def test_positions_are_never_reused_after_a_delete(self, store: EventStore) -> None:
        first, doomed, after = uuid4(), uuid4(), uuid4()
        store.append(Deposited(amount=1), stream_id=first)
        store.append(*deposits(2, 3), stream_id=doomed)
        highest = store.load_stream(doomed)[-1].position
        store.delete_stream(doomed)
        store.append(Deposited(amount=4), stream_id=after)
        assert store.load_stream(after)[0].position > highest

    def test_a_delete_racing_appends_leaves_a_consistent_stream(self, store: EventStore) -> None:
        stream = uuid4()
        errors: list[BaseException] = []

        def append_many() -> None:
            try:
                for _ in range(30):
                    store.append(Deposited(amount=1), stream_id=stream, expected_version=ANY)
            except BaseException as error:
                errors.append(error)

        writer = threading.Thread(target=append_many)
        writer.start()
        for _ in range(10):
            store.delete_stream(stream)
        writer.join()
        assert errors == []
        remaining = versions(store, stream)
        assert remaining == list(range(1, len(remaining) + 1))
