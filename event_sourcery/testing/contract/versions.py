"""Expected versions, ANY, NO_VERSIONING and atomic batches."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    InvalidExpectedVersion,
    NoEventsToAppend,
    VersioningMismatch,
)
from event_sourcery.event import Event
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.streams import StreamId
from event_sourcery.testing.contract.base import BaseContract, deposits, versions
from event_sourcery.testing.events import Deposited
from event_sourcery.versioning import ANY, NO_VERSIONING


class VersionContract(BaseContract):
    def test_expected_version_ten_on_a_new_stream_raises(self, store: EventStore) -> None:
        stream = uuid4()
        with pytest.raises(ConcurrentStreamWriteError) as caught:
            store.append(Deposited(amount=1), stream_id=stream, expected_version=10)
        assert (caught.value.expected, caught.value.actual) == (10, 0)
        assert caught.value.stream_id == StreamId(stream)
        assert store.load_stream(stream) == []

    def test_a_stale_expected_version_raises_with_bothversions(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2, 3), stream_id=stream)
        for stale in (0, 1, 2, 4):
            with pytest.raises(ConcurrentStreamWriteError) as caught:
                store.append(Deposited(amount=9), stream_id=stream, expected_version=stale)
            assert (caught.value.expected, caught.value.actual) == (stale, 3)
            assert str(stream) in str(caught.value)
        assert versions(store, stream) == [1, 2, 3]

    def test_appending_with_the_version_just_loaded_works(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2), stream_id=stream)
        version = store.load_stream(stream)[-1].version
        assert version == 2
        store.append(Deposited(amount=3), stream_id=stream, expected_version=version)
        assert versions(store, stream) == [1, 2, 3]

    def test_any_appends_at_the_end_and_creates_missing_streams(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2), stream_id=stream, expected_version=ANY)
        store.append(Deposited(amount=3), stream_id=stream, expected_version=ANY)
        store.append(Deposited(amount=4), stream_id=stream, expected_version=3)
        assert versions(store, stream) == [1, 2, 3, 4]

    def test_no_versioning_keeps_a_versionless_stream(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2), stream_id=stream, expected_version=NO_VERSIONING)
        store.append(Deposited(amount=3), stream_id=stream, expected_version=NO_VERSIONING)
        loaded = store.load_stream(stream)
        assert [e.event.amount for e in loaded] == [1, 2, 3]  # type: ignore[attr-defined]
        assert [e.version for e in loaded] == [None, None, None]

    @pytest.mark.parametrize("expected", [0, 1, ANY])
    def test_versioned_appends_to_a_versionless_stream_raise(
        self, store: EventStore, expected: Any
    ) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream, expected_version=NO_VERSIONING)
        with pytest.raises(VersioningMismatch, match="versionless"):
            store.append(Deposited(amount=2), stream_id=stream, expected_version=expected)
        assert versions(store, stream) == [None]

    def test_a_versionless_append_to_a_versioned_stream_raises(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        with pytest.raises(VersioningMismatch, match="is versioned"):
            store.append(Deposited(amount=2), stream_id=stream, expected_version=NO_VERSIONING)
        assert versions(store, stream) == [1]

    @pytest.mark.parametrize("bad", [-1, True, "1", 1.0, None])
    def test_an_invalid_expected_version_is_refused(self, store: EventStore, bad: Any) -> None:
        with pytest.raises(InvalidExpectedVersion, match="not valid"):
            store.append(Deposited(amount=1), stream_id=uuid4(), expected_version=bad)

    def test_no_events_raises(self, store: EventStore) -> None:
        with pytest.raises(NoEventsToAppend):
            store.append(stream_id=uuid4())

    # --- atomic batches ----------------------------------------------------------------

    def test_a_batch_repeating_a_uuid_stores_nothing(self, store: EventStore) -> None:
        stream, twice = uuid4(), uuid4()
        batch = [Envelope(event=Deposited(amount=i), uuid=twice) for i in range(2)]
        with pytest.raises(DuplicateEventId):
            store.append(*batch, stream_id=stream)
        assert store.load_stream(stream) == []

    @pytest.mark.parametrize("expected", [0, ANY, NO_VERSIONING])
    def test_a_batch_clashing_with_a_stored_uuid_stores_nothing(
        self, store: EventStore, expected: Any
    ) -> None:
        taken = uuid4()
        store.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
        stream = uuid4()
        batch: list[Event | Envelope[Event]] = [
            Deposited(amount=1),
            Envelope(event=Deposited(amount=2), uuid=taken),
        ]
        with pytest.raises(DuplicateEventId, match="already stored"):
            store.append(*batch, stream_id=stream, expected_version=expected)
        assert store.load_stream(stream) == []
        store.append(Deposited(amount=3), stream_id=stream, expected_version=expected)
        assert [e.event for e in store.load_stream(stream)] == deposits(3)

    def test_a_failed_batch_leaves_an_existing_stream_as_it_was(self, store: EventStore) -> None:
        stream, taken = uuid4(), uuid4()
        store.append(*deposits(1, 2), stream_id=stream)
        store.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
        clash: list[Event | Envelope[Event]] = [
            *deposits(3, 4),
            Envelope(event=Deposited(amount=5), uuid=taken),
        ]
        with pytest.raises(DuplicateEventId):
            store.append(*clash, stream_id=stream, expected_version=2)
        assert versions(store, stream) == [1, 2]
        store.append(Deposited(amount=3), stream_id=stream, expected_version=2)
        assert versions(store, stream) == [1, 2, 3]

    def test_huge_expected_versions_are_a_conflict_or_refused_alike(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        with pytest.raises(ConcurrentStreamWriteError) as caught:
            store.append(Deposited(amount=2), stream_id=stream, expected_version=2**31)
        assert (caught.value.expected, caught.value.actual) == (2**31, 1)
        with pytest.raises(InvalidExpectedVersion):
            store.append(Deposited(amount=2), stream_id=stream, expected_version=2**63)
        assert versions(store, stream) == [1]
