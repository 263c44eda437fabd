"""The repository: load, act, save under the loaded version; the original library's
LightSwitch scenario; automatic snapshots and what loading after one reads."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import (
    AggregateInUse,
    ConcurrentStreamWriteError,
    InvalidStreamId,
    SnapshotSkipped,
    SnapshotsUnsupported,
    UnhandledEvent,
    VersioningMismatch,
)
from event_sourcery.event import Event
from event_sourcery.event_sourcing import Repository
from event_sourcery.event_store import EventStore
from event_sourcery.registry import EventRegistry
from event_sourcery.streams import StreamId
from event_sourcery.testing.aggregates import Account, Lamp, LightSwitch
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.counting import CountingStorage
from event_sourcery.testing.events import AccountSnapshotV0, Deposited, TurnedOff, TurnedOn
from event_sourcery.versioning import NO_VERSIONING


def fill(
    repository: Repository[Any],
    stream: StreamId,
    saves: int,
    per_save: int,
    make: type[Account] = Account,
) -> None:
    for _ in range(saves):
        with repository.aggregate(stream, make()) as account:
            for _ in range(per_save):
                account.deposit(1)


class AggregateContract(BaseContract):
    def test_the_light_switch_turns_on_and_off_across_contexts(self, store: EventStore) -> None:
        repository = Repository[LightSwitch](store)
        stream = uuid4()
        with repository.aggregate(stream, LightSwitch()) as switch:
            switch.turn_on()
        with repository.aggregate(stream, LightSwitch()) as switch:
            assert switch.shines
            with pytest.raises(LightSwitch.AlreadyTurnedOn):
                switch.turn_on()
            switch.turn_off()
        with repository.aggregate(stream, LightSwitch()) as switch:
            assert not switch.shines
        stored = store.load_stream(StreamId(stream, category="light_switch"))
        assert [type(e.event) for e in stored] == [TurnedOn, TurnedOff]
        assert [e.version for e in stored] == [1, 2]

    def test_nested_contexts_on_one_stream_conflict(self, store: EventStore) -> None:
        repository = Repository[LightSwitch](store)
        stream = uuid4()

        def turn_on_twice_nested() -> None:
            with repository.aggregate(stream, LightSwitch()) as outer:
                outer.turn_on()
                with repository.aggregate(stream, LightSwitch()) as inner:
                    inner.turn_on()

        with pytest.raises(ConcurrentStreamWriteError):
            turn_on_twice_nested()
        [saved] = store.load_stream(StreamId(stream, category="light_switch"))
        assert saved.version == 1

    def test_nothing_emitted_writes_nothing(self, store: EventStore) -> None:
        repository = Repository[Lamp](store)
        stream = uuid4()
        with repository.aggregate(stream, Lamp()) as lamp:
            assert lamp.__stream__.is_new
        assert store.load_stream(lamp.__stream__.stream_id) == []

    def test_an_exception_in_the_block_writes_nothing_and_propagates(
        self, store: EventStore
    ) -> None:
        repository = Repository[Lamp](store)
        stream = uuid4()

        def fail_after_emitting() -> None:
            with repository.aggregate(stream, Lamp()) as lamp:
                lamp.turn_on()
                raise KeyError("after the emit")

        with pytest.raises(KeyError, match="after the emit"):
            fail_after_emitting()
        assert store.load_stream(StreamId(stream, category="lamp")) == []

    def test_the_yielded_aggregate_tells_where_its_stream_stands(self, store: EventStore) -> None:
        repository = Repository[Lamp](store)
        stream = uuid4()
        with repository.aggregate(stream, Lamp()) as lamp:
            lamp.turn_on()
            lamp.turn_off()
            tracked = lamp.__stream__
            assert tracked.stream_id == StreamId(stream, category="lamp")
            assert (tracked.loaded_version, tracked.new_version, tracked.is_new) == (0, 2, True)
        assert tracked.new_version == 2
        with repository.aggregate(stream, Lamp()) as lamp:
            lamp.turn_on()
            tracked = lamp.__stream__
            assert (tracked.loaded_version, tracked.new_version, tracked.is_new) == (2, 3, False)
            assert lamp.switched == 3

    def test_the_category_comes_from_the_aggregate_class(self, store: EventStore) -> None:
        repository = Repository[Lamp](store)
        named = StreamId(name=f"kitchen-{uuid4()}")
        with repository.aggregate(named, Lamp()) as lamp:
            lamp.turn_on()
        assert lamp.__stream__.stream_id.category == "lamp"
        assert lamp.__stream__.stream_id.name == named.name
        assert store.load_stream(named) == []
        with pytest.raises(InvalidStreamId, match="lamp"):
            repository.aggregate(StreamId(uuid4(), category="switch"), Lamp()).__enter__()

    def test_an_event_without_a_handler_names_aggregate_and_event(self, store: EventStore) -> None:
        stream = StreamId(uuid4(), category="lamp")
        store.append(Deposited(amount=1), stream_id=stream)
        with (
            pytest.raises(UnhandledEvent, match=r"Lamp has no handler for Deposited"),
            Repository[Lamp](store).aggregate(stream, Lamp()),
        ):
            pass

    def test_a_save_crossing_n_takes_a_snapshot_at_n_and_2n(self, store: EventStore) -> None:
        repository = Repository[Account](store, snapshot_every=3)
        stream = StreamId(uuid4(), category="account")
        fill(repository, stream, saves=7, per_save=1)
        assert [s.version for s in store.snapshots_raw(stream)] == [3, 6]
        fill(repository, stream, saves=1, per_save=5)  # 7 -> 12 crosses 9 and 12
        assert [s.version for s in store.snapshots_raw(stream)] == [3, 6, 12]
        assert store.snapshots(stream)[-1].event.model_dump() == {"balance": 12, "deposits": 12}

    def test_loading_after_a_snapshot_applies_and_loads_only_later_events(
        self, store: EventStore
    ) -> None:
        stream = StreamId(uuid4(), category="account")
        fill(Repository[Account](store, snapshot_every=10), stream, saves=23, per_save=1)
        counting = CountingStorage(store.storage)
        repository = Repository[Account](EventStore(counting, store.registry))
        with repository.aggregate(stream, Account()) as account:
            assert (account.balance, account.restored_from, account.applied) == (23, 20, 3)
        assert counting.rows_read == 3
        assert account.__stream__.loaded_version == 23

    def test_a_snapshot_whose_class_drifted_falls_back_to_the_events(
        self, backend: Backend
    ) -> None:
        stream = StreamId(uuid4(), category="account")
        old = EventRegistry()
        old.add(AccountSnapshotV0, "contract.AccountSnapshot")
        writer = backend.open(registry=old)
        fill(Repository[Account](writer), stream, saves=1, per_save=4)
        writer.save_snapshot(stream, AccountSnapshotV0(total="wrong"), version=4)
        repository = Repository[Account](backend.open(), snapshot_every=5)
        with pytest.warns(SnapshotSkipped):
            account = repository.load(stream, Account)
        assert (account.balance, account.applied, account.restored_from) == (4, 4, None)
        with pytest.warns(SnapshotSkipped), repository.aggregate(stream, Account()) as account:
            account.deposit(1)
        with warnings.catch_warnings():  # the save at 5 took a snapshot of the current shape
            warnings.simplefilter("error")
            healed = Repository[Account](backend.open()).load(stream, Account)
        assert (healed.balance, healed.restored_from, healed.applied) == (5, 5, 0)

    def test_a_snapshot_that_fails_never_fails_a_save_already_stored(
        self, store: EventStore
    ) -> None:
        class Fragile(Account):
            def __snapshot__(self) -> Event:
                raise KeyError("balance")

        stream = StreamId(uuid4(), category="account")
        repository = Repository[Fragile](store, snapshot_every=1)
        with pytest.warns(SnapshotSkipped, match="KeyError") as caught:
            fill(repository, stream, saves=1, per_save=1, make=Fragile)
        assert caught[0].filename == __file__
        assert [e.version for e in store.load_stream(stream)] == [1]
        assert store.snapshots_raw(stream) == []

    def test_a_versionless_stream_is_refused_by_the_repository(self, store: EventStore) -> None:
        stream = StreamId(uuid4(), category="account")
        store.append(*deposits(5, 7), stream_id=stream, expected_version=NO_VERSIONING)
        repository = Repository[Account](store)
        with pytest.raises(VersioningMismatch, match="versionless"):
            repository.aggregate(stream, Account()).__enter__()
        for point in ({"version": 1}, {"at": datetime.now(UTC)}, {}):
            with pytest.raises(VersioningMismatch, match="versionless"):
                repository.load(stream, Account, **point)

    def test_an_aggregate_instance_is_loaded_once(self, store: EventStore) -> None:
        repository = Repository[Account](store)
        stream = uuid4()
        with repository.aggregate(stream, Account()) as account:
            account.deposit(1)
        with pytest.raises(AggregateInUse):
            repository.aggregate(stream, account).__enter__()
        unsaved = Account()
        unsaved.deposit(2)
        with pytest.raises(AggregateInUse):
            repository.aggregate(stream, unsaved).__enter__()
        past = repository.load(stream, Account, version=1)
        with pytest.raises(AggregateInUse):
            repository.aggregate(stream, past).__enter__()

    def test_a_snapshot_policy_needs_an_aggregate_that_can_snapshot(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        with pytest.raises(SnapshotsUnsupported, match="Lamp"):
            Repository[Lamp](store, snapshot_every=2).aggregate(stream, Lamp()).__enter__()
        assert store.load_stream(StreamId(stream, category="lamp")) == []
