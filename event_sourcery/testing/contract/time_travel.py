"""Read-only time travel: an aggregate as it was after a version or at a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidRange, ReadOnlyAggregate, StateNotFound
from event_sourcery.event_sourcing import Repository
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.streams import StreamId
from event_sourcery.testing.aggregates import Account
from event_sourcery.testing.contract.base import BaseContract
from event_sourcery.testing.counting import CountingStorage
from event_sourcery.testing.events import Deposited

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def account_stream(store: EventStore, *amounts: int) -> StreamId:
    """An account whose n-th deposit (from 0) was recorded at T0 + n hours."""
    stream = StreamId(uuid4(), category="account")
    store.append(
        *[
            Envelope(event=Deposited(amount=amount), created_at=T0 + n * HOUR)
            for n, amount in enumerate(amounts)
        ],
        stream_id=stream,
    )
    return stream


class TimeTravelContract(BaseContract):
    def test_loading_at_a_version_gives_the_state_after_it(self, store: EventStore) -> None:
        stream = account_stream(store, 10, 20, 30, 40)
        repository = Repository[Account](store)
        assert [repository.load(stream, Account, version=v).balance for v in (1, 2, 4)] == [
            10,
            30,
            100,
        ]
        assert repository.load(stream, Account).balance == 100
        assert repository.load(stream, Account, version=3).__stream__.loaded_version == 3

    def test_loading_at_a_moment_gives_the_state_then(self, store: EventStore) -> None:
        stream = account_stream(store, 10, 20, 30)
        repository = Repository[Account](store)
        assert repository.load(stream, Account, at=T0).balance == 10
        assert repository.load(stream, Account, at=T0 + 1.5 * HOUR).balance == 30
        assert repository.load(stream, Account, at=T0 + 2 * HOUR).balance == 60
        later = repository.load(stream, Account, at=datetime(2030, 1, 1, tzinfo=UTC))
        assert (later.balance, later.__stream__.loaded_version) == (60, 3)
        half_past_in_paris = (T0 + HOUR / 2).astimezone(timezone(HOUR))
        assert half_past_in_paris.hour == 13
        assert repository.load(stream, Account, at=half_past_in_paris).balance == 10

    def test_a_version_past_the_end_raises_naming_the_stream(self, store: EventStore) -> None:
        stream = account_stream(store, 10, 20)
        repository = Repository[Account](store)
        with pytest.raises(StateNotFound, match="at version 2") as caught:
            repository.load(stream, Account, version=3)
        assert caught.value.stream_id == stream
        with pytest.raises(StateNotFound, match="no events"):
            repository.load(StreamId(uuid4(), category="account"), Account, version=1)

    def test_a_moment_before_the_first_event_raises(self, store: EventStore) -> None:
        stream = account_stream(store, 10)
        repository = Repository[Account](store)
        with pytest.raises(StateNotFound, match="first event was recorded at 2024-03-01"):
            repository.load(stream, Account, at=T0 - timedelta(microseconds=1))
        with pytest.raises(StateNotFound, match="no events"):
            repository.load(StreamId(uuid4(), category="account"), Account, at=T0)

    @pytest.mark.parametrize(
        ("version", "at"),
        [(0, None), (-1, None), (1, T0), (None, datetime(2024, 3, 1))],
        ids=["zero", "negative", "both", "naive"],
    )
    def test_requests_that_are_not_a_point_in_time_are_refused(
        self, store: EventStore, version: int | None, at: datetime | None
    ) -> None:
        stream = account_stream(store, 10)
        with pytest.raises(InvalidRange):
            Repository[Account](store).load(stream, Account, version=version, at=at)

    def test_a_time_travelled_aggregate_cannot_emit(self, store: EventStore) -> None:
        stream = account_stream(store, 10, 20)
        past = Repository[Account](store).load(stream, Account, version=1)
        with pytest.raises(ReadOnlyAggregate, match="as of version 1"):
            past.deposit(5)
        assert [e.version for e in store.load_stream(stream)] == [1, 2]

    def test_loading_at_a_version_starts_from_a_snapshot_before_it(self, store: EventStore) -> None:
        stream = account_stream(store, *[1] * 30)
        for version in (10, 20, 30):
            store.save_snapshot(
                stream,
                Repository[Account](store).load(stream, Account, version=version).__snapshot__(),
                version,
            )
        counting = CountingStorage(store.storage)
        repository = Repository[Account](EventStore(counting, store.registry))
        past = repository.load(stream, Account, version=25)
        assert (past.balance, past.restored_from, past.applied) == (25, 20, 5)
        assert counting.rows_read == 5
