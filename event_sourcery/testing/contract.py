"""The event store contract: every backend must pass every test here, unchanged."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest

from event_sourcery.context import Context
from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    EventStoreError,
    InvalidEnvelope,
    InvalidExpectedVersion,
    NoEventsToAppend,
    StreamNameConflict,
    UnknownEventType,
    VersioningMismatch,
)
from event_sourcery.event import Event
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.registry import EventRegistry
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.events import Address, Customer, Deposited, EveryType, Opened, Plan
from event_sourcery.testing.race import CONFLICT, WIN, RaceResult, race_processes, race_threads
from event_sourcery.versioning import ANY, NO_VERSIONING


def _versions(store: EventStore, stream: UUID | StreamId, **kwargs: Any) -> list[int | None]:
    return [e.version for e in store.load_stream(stream, **kwargs)]


def _deposits(*amounts: int) -> list[Deposited]:
    return [Deposited(amount=a) for a in amounts]


class EventStoreContract:
    """Subclass with a ``backend`` fixture returning a ``Backend``; pytest collects the rest."""

    race_writers: ClassVar[int] = 8
    race_rounds: ClassVar[int] = 100

    @pytest.fixture
    def store(self, backend: Backend) -> EventStore:
        return backend.open()

    # --- round trips -------------------------------------------------------------------

    def test_one_event_round_trips_in_an_envelope(self, store: EventStore) -> None:
        stream = uuid4()
        before = datetime.now(UTC)
        store.append(Opened(owner="ada"), stream_id=stream)
        [recorded] = store.load_stream(stream)
        assert recorded.event == Opened(owner="ada")
        assert recorded.version == 1
        assert recorded.stream_id == StreamId(stream)
        assert isinstance(recorded.uuid, UUID)
        assert isinstance(recorded.position, int)
        assert recorded.created_at.tzinfo is not None
        assert recorded.created_at.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=5) <= recorded.created_at <= datetime.now(UTC)
        assert recorded.context == Context()

    def test_many_events_come_back_in_order_with_contiguous_versions(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(*_deposits(*range(10)), stream_id=stream)
        store.append(*_deposits(10, 11), stream_id=stream, expected_version=10)
        loaded = store.load_stream(stream)
        assert [e.event for e in loaded] == _deposits(*range(12))
        assert [e.version for e in loaded] == list(range(1, 13))

    def test_every_payload_type_round_trips_exactly(self, store: EventStore) -> None:
        event = EveryType(
            text="naïve ☃ \"quoted\" 'single' \\ %_",
            number=-(2**53) - 1,
            ratio=0.1 + 0.2,
            flag=False,
            nothing=None,
            money=Decimal("12345678901234567890.000000001"),
            ident=uuid4(),
            aware=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5))),
            naive=datetime(1999, 12, 31, 12, 0, 0, 1),
            day=date(2000, 1, 1),
            plan=Plan.YEARLY,
            tags=["a", "", "c"],
            customer=Customer(id=uuid4(), addresses=[Address(street="1 Main", city="Oslo")]),
        )
        stream = uuid4()
        store.append(event, stream_id=stream)
        [recorded] = store.load_stream(stream)
        loaded = recorded.event
        assert isinstance(loaded, EveryType)
        assert loaded == event
        assert loaded.aware.utcoffset() == timedelta(hours=5)
        assert loaded.naive.tzinfo is None
        assert isinstance(loaded.money, Decimal)
        assert loaded.money == event.money

    def test_bare_events_are_wrapped_with_fresh_uuids(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*_deposits(1, 2), stream_id=stream)
        first, second = store.load_stream(stream)
        assert first.uuid != second.uuid

    def test_a_prebuilt_envelope_keeps_its_uuid_time_and_context(self, store: EventStore) -> None:
        stream, event_id, correlation, causation = uuid4(), uuid4(), uuid4(), uuid4()
        when = datetime(2020, 5, 17, 8, 30, tzinfo=timezone(timedelta(hours=-4)))
        context = Context(correlation_id=correlation, causation_id=causation, tenant="acme", n=3)
        store.append(
            Envelope(event=Opened(owner="bo"), uuid=event_id, created_at=when, context=context),
            stream_id=stream,
        )
        [recorded] = store.load_stream(stream)
        assert recorded.uuid == event_id
        assert recorded.created_at == when
        assert recorded.created_at.utcoffset() == timedelta(0)
        assert recorded.context.correlation_id == correlation
        assert recorded.context.causation_id == causation
        assert recorded.context.model_extra == {"tenant": "acme", "n": 3}

    def test_extra_context_survives(self, store: EventStore) -> None:
        stream = uuid4()
        context = Context(request={"ip": "10.0.0.1", "tags": ["x"]}, note=None)
        store.append(Envelope(event=Opened(owner="x"), context=context), stream_id=stream)
        [recorded] = store.load_stream(stream)
        assert recorded.context == context

    def test_a_naive_created_at_is_refused(self, store: EventStore) -> None:
        stream = uuid4()
        naive = Envelope(event=Opened(owner="x"), created_at=datetime(2020, 1, 1))
        with pytest.raises(InvalidEnvelope, match="no timezone"):
            store.append(naive, stream_id=stream)
        assert store.load_stream(stream) == []

    def test_positions_grow_with_every_append_across_streams(self, store: EventStore) -> None:
        a, b = uuid4(), uuid4()
        store.append(*_deposits(1, 2), stream_id=a)
        store.append(Deposited(amount=3), stream_id=b)
        store.append(Deposited(amount=4), stream_id=a, expected_version=2)
        positions_a = [e.position for e in store.load_stream(a)]
        [position_b] = [e.position for e in store.load_stream(b)]
        assert positions_a[0] < positions_a[1] < position_b < positions_a[2]

    # --- stream identity ---------------------------------------------------------------

    def test_a_uuid_and_a_stream_id_of_it_are_one_stream(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        store.append(Deposited(amount=2), stream_id=StreamId(stream), expected_version=1)
        assert _versions(store, StreamId(stream)) == [1, 2]

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
        assert _versions(store, first) == [1]

    def test_the_same_uuid_in_two_categories_is_two_streams(self, store: EventStore) -> None:
        shared = uuid4()
        store.append(Deposited(amount=1), stream_id=StreamId(shared, category="a"))
        store.append(*_deposits(2, 3), stream_id=StreamId(shared, category="b"))
        assert [e.event for e in store.load_stream(StreamId(shared, category="a"))] == _deposits(1)
        assert [e.event for e in store.load_stream(StreamId(shared, category="b"))] == _deposits(
            2, 3
        )
        assert store.load_stream(shared) == []

    # --- expected versions -------------------------------------------------------------

    def test_expected_version_ten_on_a_new_stream_raises(self, store: EventStore) -> None:
        stream = uuid4()
        with pytest.raises(ConcurrentStreamWriteError) as caught:
            store.append(Deposited(amount=1), stream_id=stream, expected_version=10)
        assert (caught.value.expected, caught.value.actual) == (10, 0)
        assert caught.value.stream_id == StreamId(stream)
        assert store.load_stream(stream) == []

    def test_a_stale_expected_version_raises_with_both_versions(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*_deposits(1, 2, 3), stream_id=stream)
        for stale in (0, 1, 2, 4):
            with pytest.raises(ConcurrentStreamWriteError) as caught:
                store.append(Deposited(amount=9), stream_id=stream, expected_version=stale)
            assert (caught.value.expected, caught.value.actual) == (stale, 3)
            assert str(stream) in str(caught.value)
        assert _versions(store, stream) == [1, 2, 3]

    def test_appending_with_the_version_just_loaded_works(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*_deposits(1, 2), stream_id=stream)
        version = store.load_stream(stream)[-1].version
        assert version == 2
        store.append(Deposited(amount=3), stream_id=stream, expected_version=version)
        assert _versions(store, stream) == [1, 2, 3]

    def test_any_appends_at_the_end_and_creates_missing_streams(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*_deposits(1, 2), stream_id=stream, expected_version=ANY)
        store.append(Deposited(amount=3), stream_id=stream, expected_version=ANY)
        store.append(Deposited(amount=4), stream_id=stream, expected_version=3)
        assert _versions(store, stream) == [1, 2, 3, 4]

    def test_no_versioning_keeps_a_versionless_stream(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*_deposits(1, 2), stream_id=stream, expected_version=NO_VERSIONING)
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
        assert _versions(store, stream) == [None]

    def test_a_versionless_append_to_a_versioned_stream_raises(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        with pytest.raises(VersioningMismatch, match="is versioned"):
            store.append(Deposited(amount=2), stream_id=stream, expected_version=NO_VERSIONING)
        assert _versions(store, stream) == [1]

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
        assert [e.event for e in store.load_stream(stream)] == _deposits(3)

    def test_a_failed_batch_leaves_an_existing_stream_as_it_was(self, store: EventStore) -> None:
        stream, taken = uuid4(), uuid4()
        store.append(*_deposits(1, 2), stream_id=stream)
        store.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
        clash: list[Event | Envelope[Event]] = [
            *_deposits(3, 4),
            Envelope(event=Deposited(amount=5), uuid=taken),
        ]
        with pytest.raises(DuplicateEventId):
            store.append(*clash, stream_id=stream, expected_version=2)
        assert _versions(store, stream) == [1, 2]
        store.append(Deposited(amount=3), stream_id=stream, expected_version=2)
        assert _versions(store, stream) == [1, 2, 3]

    # --- loading -----------------------------------------------------------------------

    def test_a_range_start_2_stop_5_returns_versions_2_to_4(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*_deposits(*range(1, 8)), stream_id=stream)
        assert _versions(store, stream, start=2, stop=5) == [2, 3, 4]
        assert _versions(store, stream, start=6) == [6, 7]
        assert _versions(store, stream, stop=3) == [1, 2]
        assert _versions(store, stream, start=8) == []
        assert _versions(store, stream, start=3, stop=3) == []

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

    # --- deleting ----------------------------------------------------------------------

    def test_a_deleted_stream_is_gone_and_can_start_again(self, store: EventStore) -> None:
        stream, other = StreamId(name=f"gone-{uuid4()}"), uuid4()
        store.append(*_deposits(1, 2), stream_id=stream)
        store.append(Deposited(amount=9), stream_id=other)
        store.delete_stream(stream)
        assert store.load_stream(stream) == []
        assert _versions(store, other) == [1]
        store.append(Deposited(amount=3), stream_id=stream)
        assert _versions(store, stream) == [1]

    def test_deleting_a_missing_stream_does_nothing(self, store: EventStore) -> None:
        kept = uuid4()
        store.append(Deposited(amount=1), stream_id=kept)
        store.delete_stream(uuid4())
        assert _versions(store, kept) == [1]

    # --- errors ------------------------------------------------------------------------

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

    # --- caller-owned transactions -----------------------------------------------------

    def test_rolling_back_the_callers_transaction_discards_the_append(
        self, backend: Backend
    ) -> None:
        transaction = backend.caller_transaction()
        if transaction is None:
            pytest.skip(f"{backend.name} has no caller-owned transactions")
        stream = uuid4()
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            assert _versions(tx.store, stream) == [1]
            tx.rollback()
            assert tx.store.load_stream(stream) == []
        assert backend.open().load_stream(stream) == []

    def test_the_store_never_commits_the_callers_transaction(self, backend: Backend) -> None:
        transaction = backend.caller_transaction()
        if transaction is None:
            pytest.skip(f"{backend.name} has no caller-owned transactions")
        stream = uuid4()
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            assert backend.open().load_stream(stream) == []
            tx.commit()
        assert _versions(backend.open(), stream) == [1]

    def test_a_failed_batch_in_the_callers_transaction_writes_nothing(
        self, backend: Backend
    ) -> None:
        transaction = backend.caller_transaction()
        if transaction is None:
            pytest.skip(f"{backend.name} has no caller-owned transactions")
        taken, stream = uuid4(), uuid4()
        store = backend.open()
        store.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
        store.append(Deposited(amount=1), stream_id=stream)
        with transaction as tx:
            with pytest.raises(DuplicateEventId):
                tx.store.append(
                    Deposited(amount=2),
                    Envelope(event=Deposited(amount=3), uuid=taken),
                    stream_id=stream,
                    expected_version=1,
                )
            try:  # a caller that commits anyway must not store half an append
                tx.commit()
            except Exception:
                tx.rollback()
        assert _versions(store, stream) == [1]
        store.append(Deposited(amount=2), stream_id=stream, expected_version=1)

    # --- races -------------------------------------------------------------------------

    def _assert_one_winner_per_round(
        self, result: RaceResult, store: EventStore, stream: UUID
    ) -> None:
        for round_ in range(self.race_rounds):
            assert result.outcomes[round_] == {WIN: 1, CONFLICT: self.race_writers - 1}, round_
        assert _versions(store, stream) == list(range(1, self.race_rounds + 1))
        amounts = [e.event.amount for e in store.load_stream(stream)]  # type: ignore[attr-defined]
        assert amounts == list(range(self.race_rounds))

    def test_racing_threads_get_exactly_one_winner_per_round(self, store: EventStore) -> None:
        stream = uuid4()
        result = race_threads(store, stream, self.race_writers, self.race_rounds)
        self._assert_one_winner_per_round(result, store, stream)

    def test_racing_processes_get_exactly_one_winner_per_round(self, backend: Backend) -> None:
        url = backend.url()
        if url is None:
            pytest.skip(f"{backend.name} cannot be opened from another process")
        stream = uuid4()
        result = race_processes(url, stream, self.race_writers, self.race_rounds)
        self._assert_one_winner_per_round(result, backend.open(), stream)

    def test_concurrent_any_appends_never_share_a_version(self, store: EventStore) -> None:
        stream, writers, each = uuid4(), 8, 25
        barrier = threading.Barrier(writers)

        def writer() -> None:
            barrier.wait()
            for _ in range(each):
                store.append(Deposited(amount=1), stream_id=stream, expected_version=ANY)

        threads = [threading.Thread(target=writer) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _versions(store, stream) == list(range(1, writers * each + 1))
