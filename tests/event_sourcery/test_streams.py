"""StreamId and expected versions are checked where callers hand them in."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from event_sourcery import (
    ANY,
    NO_VERSIONING,
    EventStoreError,
    ExpectedVersion,
    InvalidExpectedVersion,
    InvalidStreamId,
    StreamId,
)


def test_a_name_determines_the_uuid() -> None:
    assert StreamId(name="order-1").uuid == StreamId(name="order-1").uuid
    assert StreamId(name="order-1").uuid != StreamId(name="order-2").uuid


def test_equality_is_uuid_and_category_not_name() -> None:
    shared = uuid4()
    assert StreamId(shared, name="a") == StreamId(shared)
    assert StreamId(shared, category="x") != StreamId(shared, category="y")
    assert len({StreamId(shared), StreamId(shared, name="n"), StreamId(shared, category="c")}) == 2


def test_without_uuid_or_name_a_fresh_uuid_is_drawn() -> None:
    assert StreamId().uuid != StreamId().uuid


@pytest.mark.parametrize("bad", ["not-a-uuid", 42, None, b"\x00"])
def test_of_refuses_what_is_not_a_stream_id(bad: object) -> None:
    with pytest.raises(InvalidStreamId, match="is not a stream id") as caught:
        StreamId.of(bad)  # type: ignore[arg-type]
    assert isinstance(caught.value, EventStoreError)


@pytest.mark.parametrize("bad", ["", "nul\x00inside", 7])
def test_unusable_names_and_categories_are_refused(bad: object) -> None:
    with pytest.raises(InvalidStreamId, match="name"):
        StreamId(name=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidStreamId, match="category"):
        StreamId(uuid4(), category=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidStreamId, match="uuid"):
        StreamId("0" * 32)  # type: ignore[arg-type]


def test_stream_ids_are_immutable_and_print_readably() -> None:
    stream = StreamId(UUID(int=1), name="cart-7", category="carts")
    with pytest.raises(AttributeError):
        stream.name = "other"  # type: ignore[misc]
    assert str(stream) == "carts/cart-7"
    assert "cart-7" in repr(stream)
    assert str(StreamId(UUID(int=1))) == str(UUID(int=1))


def test_expected_versions_become_objects() -> None:
    assert ExpectedVersion.of(3) == ExpectedVersion(exact=3)
    assert ExpectedVersion.of(ANY) == ExpectedVersion()
    assert ExpectedVersion.of(NO_VERSIONING) == ExpectedVersion(versioned=False)
    assert ExpectedVersion.of(2**63 - 1) == ExpectedVersion(exact=2**63 - 1)
    for bad in (-1, True, 2.0, "3", 2**63):
        with pytest.raises(InvalidExpectedVersion):
            ExpectedVersion.of(bad)  # type: ignore[arg-type]


def test_stream_ids_pickle_and_copy_whole() -> None:
    import copy
    import pickle

    stream = StreamId(uuid4(), name="cart-1", category="carts")
    for clone in (pickle.loads(pickle.dumps(stream)), copy.copy(stream), copy.deepcopy(stream)):
        assert clone == stream
        assert (clone.name, clone.category) == ("cart-1", "carts")
