"""Idempotent appends: an append retried with the same uuids (its acknowledgement lost)
succeeds once stored and writes nothing twice; a uuid reused for something else is refused."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import ConcurrentStreamWriteError, DuplicateEventId
from event_sourcery.event import Event
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope, Recorded
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, caller_transaction, deposits
from event_sourcery.testing.events import Deposited, Measured, Opened
from event_sourcery.versioning import ANY, NO_VERSIONING


def envelopes(*amounts: int) -> list[Envelope[Event]]:
    return [Envelope(event=event) for event in deposits(*amounts)]


def uuids_everywhere(store: EventStore) -> list[Any]:
    return [recorded.uuid for recorded in store.read_all()]


class RetryContract(BaseContract):
    @pytest.mark.parametrize("expected", [0, ANY, NO_VERSIONING])
    def test_a_retried_append_succeeds_and_stores_nothing_twice(
        self, store: EventStore, expected: Any
    ) -> None:
        stream, batch = uuid4(), envelopes(1, 2, 3)
        store.append(*batch, stream_id=stream, expected_version=expected)
        stored = store.load_stream(stream)

        store.append(*batch, stream_id=stream, expected_version=expected)
        store.append(*batch, stream_id=stream, expected_version=expected)

        assert store.load_stream(stream) == stored
        assert uuids_everywhere(store) == [e.uuid for e in batch]

    @pytest.mark.parametrize("value", [0.1, 1e16, 6.02214076e23, 1e300, -2.5e-300])
    def test_a_retry_of_a_float_payload_succeeds_however_the_backend_prints_numbers(
        self, store: EventStore, value: float
    ) -> None:
        stream, batch = uuid4(), [Envelope(event=Measured(value=value))]
        store.append(*batch, stream_id=stream)

        store.append(*batch, stream_id=stream)

        assert [e.uuid for e in store.load_stream(stream)] == [batch[0].uuid]

    def test_a_retry_after_others_appended_to_the_stream_still_succeeds(
        self, store: EventStore
    ) -> None:
        stream, batch = uuid4(), envelopes(2, 3)
        store.append(Deposited(amount=1), stream_id=stream)
        store.append(*batch, stream_id=stream, expected_version=1)
        store.append(Deposited(amount=4), stream_id=stream, expected_version=3)

        store.append(*batch, stream_id=stream, expected_version=1)

        loaded = store.load_stream(stream)
        assert [(e.version, e.event) for e in loaded] == list(enumerate(deposits(1, 2, 3, 4), 1))

    def test_a_retry_with_a_new_time_and_context_is_still_the_same_append(
        self, store: EventStore
    ) -> None:
        stream, batch = uuid4(), envelopes(1)
        store.append(*batch, stream_id=stream)
        again = Envelope(event=batch[0].event, uuid=batch[0].uuid)  # a new created_at

        store.append(again, stream_id=stream)

        assert [e.created_at for e in store.load_stream(stream)] == [batch[0].created_at]

    def test_a_uuid_stored_with_another_payload_is_refused_by_name(self, store: EventStore) -> None:
        stream, batch = uuid4(), envelopes(1, 2)
        store.append(*batch, stream_id=stream)
        changed = [batch[0], Envelope(event=Deposited(amount=99), uuid=batch[1].uuid)]

        with pytest.raises(DuplicateEventId, match="different payload") as caught:
            store.append(*changed, stream_id=stream)

        assert str(batch[1].uuid) in str(caught.value)
        assert [e.event for e in store.load_stream(stream)] == deposits(1, 2)

    def test_a_uuid_stored_as_another_type_is_refused(self, store: EventStore) -> None:
        stream, uuid = uuid4(), uuid4()
        store.append(Envelope(event=Deposited(amount=1), uuid=uuid), stream_id=stream)

        with pytest.raises(DuplicateEventId, match="Opened"):
            store.append(Envelope(event=Opened(owner="ann"), uuid=uuid), stream_id=stream)

    def test_the_same_events_at_another_version_are_refused(self, store: EventStore) -> None:
        stream, batch = uuid4(), envelopes(1, 2)
        store.append(*batch, stream_id=stream)
        store.append(Deposited(amount=3), stream_id=stream, expected_version=2)

        with pytest.raises(DuplicateEventId, match="version 1, not 4"):
            store.append(*batch, stream_id=stream, expected_version=3)

        assert len(store.load_stream(stream)) == 3

    def test_the_same_events_for_another_stream_are_refused(self, store: EventStore) -> None:
        first, batch = uuid4(), envelopes(1)
        store.append(*batch, stream_id=first)
        other = uuid4()

        with pytest.raises(DuplicateEventId, match="another stream"):
            store.append(*batch, stream_id=other)

        assert store.load_stream(other) == []

    def test_the_same_events_for_their_uuid_in_another_category_are_refused(
        self, store: EventStore
    ) -> None:
        uuid, batch = uuid4(), envelopes(1)
        store.append(*batch, stream_id=StreamId(uuid))

        with pytest.raises(DuplicateEventId, match="another stream"):
            store.append(*batch, stream_id=StreamId(uuid, category="orders"))

        assert store.load_stream(StreamId(uuid, category="orders")) == []

    def test_a_batch_only_partly_stored_is_refused_and_adds_nothing(
        self, store: EventStore
    ) -> None:
        stream, batch = uuid4(), envelopes(1, 2)
        store.append(batch[0], stream_id=stream)

        with pytest.raises(DuplicateEventId, match="others of the batch"):
            store.append(*batch, stream_id=stream, expected_version=0)

        assert [e.uuid for e in store.load_stream(stream)] == [batch[0].uuid]

    def test_a_real_conflict_with_new_uuids_still_raises(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*envelopes(1), stream_id=stream)

        with pytest.raises(ConcurrentStreamWriteError):
            store.append(*envelopes(1), stream_id=stream, expected_version=0)

    def test_a_retry_gives_no_second_outbox_entry_nor_listener_call(self, backend: Backend) -> None:
        store = EventStore(backend.open().storage, with_outbox=True)
        heard: list[Recorded[Event]] = []
        store.listen(heard.append)
        stream, batch = StreamId(uuid4(), category="billing"), envelopes(1, 2)
        store.append(*batch, stream_id=stream)

        store.append(*batch, stream_id=stream)

        assert [entry.event_uuid for entry in store.outbox.entries()] == [e.uuid for e in batch]
        assert [recorded.uuid for recorded in heard] == [e.uuid for e in batch]

    @pytest.mark.parametrize("expected", [0, ANY, NO_VERSIONING])
    def test_in_the_callers_transaction_a_retry_succeeds_and_leaves_it_usable(
        self, backend: Backend, expected: Any
    ) -> None:
        stream, batch = uuid4(), envelopes(1, 2)
        with caller_transaction(backend) as tx:
            tx.store.append(*batch, stream_id=stream, expected_version=expected)
            tx.commit()
        with caller_transaction(backend) as tx:
            tx.store.append(*batch, stream_id=stream, expected_version=expected)  # the retry
            with pytest.raises(DuplicateEventId):  # refused, and the transaction goes on
                tx.store.append(
                    Envelope(event=Deposited(amount=9), uuid=batch[0].uuid),
                    stream_id=stream,
                    expected_version=expected,
                )
            tx.store.append(Deposited(amount=3), stream_id=uuid4())
            tx.commit()
        store = backend.open()
        assert [e.uuid for e in store.load_stream(stream)] == [e.uuid for e in batch]
        assert len(store.read_all()) == 3
