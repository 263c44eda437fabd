"""Snapshots: kept as history, loaded in place of the events they cover, never trusted
when their class can no longer read them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidSnapshot, SnapshotSkipped
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope, RecordedSnapshot
from event_sourcery.registry import EventRegistry
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import (
    BaseContract,
    caller_transaction,
    deposits,
    versions,
)
from event_sourcery.testing.counting import CountingStorage
from event_sourcery.testing.events import AccountSnapshot, AccountSnapshotV0, Deposited
from event_sourcery.versioning import NO_VERSIONING


def snapshot(balance: int) -> AccountSnapshot:
    return AccountSnapshot(balance=balance, deposits=balance)


class SnapshotContract(BaseContract):
    def test_a_load_starts_at_the_latest_snapshot_then_the_later_events(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1, 1, 1, 1), stream_id=stream)
        store.save_snapshot(stream, snapshot(2), version=2)
        store.save_snapshot(stream, snapshot(3), version=3)
        head, *rest = store.load_stream(stream)
        assert isinstance(head, RecordedSnapshot)
        assert head.event == snapshot(3)
        assert head.version == 3
        assert [e.version for e in rest] == [4, 5]
        assert all(isinstance(e.event, Deposited) for e in rest)

    def test_snapshots_false_loads_only_the_events(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1, 1), stream_id=stream)
        store.save_snapshot(stream, snapshot(2), version=2)
        loaded = store.load_stream(stream, snapshots=False)
        assert [e.version for e in loaded] == [1, 2, 3]
        assert not any(isinstance(e, RecordedSnapshot) for e in loaded)
        assert [r.version for r in store.load_stream_raw(stream)] == [1, 2, 3]

    def test_ranged_loads_use_the_latest_snapshot_inside_the_range(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(*[1] * 10), stream_id=stream)
        for version in (3, 6):
            store.save_snapshot(stream, snapshot(version), version=version)
        assert versions(store, stream, stop=6) == [3, 4, 5]
        assert versions(store, stream, stop=7) == [6]
        assert versions(store, stream, start=4, stop=9) == [6, 7, 8]
        assert versions(store, stream, start=7) == [7, 8, 9, 10]
        assert versions(store, stream, start=2, stop=3) == [2]
        assert versions(store, stream, stop=1) == []
        assert versions(store, stream, start=6, stop=8) == [6, 7]  # a snapshot at start
        assert versions(store, stream, start=3, stop=4) == [3]  # ... and at stop - 1
        [head, *_] = store.load_stream(stream, start=4, stop=9)
        assert isinstance(head, RecordedSnapshot)
        assert head.event == snapshot(6)

    def test_of_two_snapshots_at_one_version_the_later_saved_wins(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1), stream_id=stream)
        store.save_snapshot(stream, snapshot(100), version=2)
        store.save_snapshot(stream, snapshot(2), version=2)
        [head] = store.load_stream(stream)
        assert head.event == snapshot(2)

    def test_snapshots_are_kept_as_history_with_versions_and_times(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1, 1, 1), stream_id=stream)
        for version in (4, 2, 2):
            store.save_snapshot(stream, snapshot(version * 10), version=version)
        history = store.snapshots(stream)
        assert [(s.version, s.event) for s in history] == [
            (2, snapshot(20)),
            (2, snapshot(20)),
            (4, snapshot(40)),
        ]
        assert all(isinstance(s, RecordedSnapshot) for s in history)
        assert history[0].created_at.utcoffset() is not None
        events = store.load_stream(stream, snapshots=False)
        assert [s.position for s in history] == [
            events[1].position,
            events[1].position,
            events[3].position,
        ]
        raw = store.snapshots_raw(stream)
        assert [(r.version, r.type, r.data) for r in raw][-1] == (
            4,
            "contract.AccountSnapshot",
            {"balance": 40, "deposits": 40},
        )
        assert len({r.uuid for r in raw}) == 3

    def test_a_snapshot_in_an_envelope_keeps_the_uuid_and_time_it_was_given(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1), stream_id=stream)
        moment = datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
        given = Envelope(event=snapshot(2), uuid=uuid4(), created_at=moment)
        store.save_snapshot(stream, given, 2)
        [raw] = store.snapshots_raw(stream)
        assert (raw.uuid, raw.created_at, raw.version) == (given.uuid, moment, 2)
        assert store.snapshots(stream)[0].event == snapshot(2)
        with pytest.raises(InvalidSnapshot, match="is not an Event"):
            store.save_snapshot(stream, Envelope(event="state"), 2)  # type: ignore[arg-type]

    @pytest.mark.parametrize("version", [0, -1, 4, 2**63])
    def test_a_snapshot_of_a_version_the_stream_has_not_reached_is_refused(
        self, store: EventStore, version: int
    ) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1, 1), stream_id=stream)
        with pytest.raises(InvalidSnapshot, match=str(stream)):
            store.save_snapshot(stream, snapshot(1), version=version)
        assert store.snapshots_raw(stream) == []

    def test_snapshots_of_missing_or_versionless_streams_are_refused(
        self, store: EventStore
    ) -> None:
        with pytest.raises(InvalidSnapshot, match="does not exist"):
            store.save_snapshot(uuid4(), snapshot(1), version=1)
        versionless = uuid4()
        store.append(Deposited(amount=1), stream_id=versionless, expected_version=NO_VERSIONING)
        with pytest.raises(InvalidSnapshot, match="versionless"):
            store.save_snapshot(versionless, snapshot(1), version=1)

    def test_deleting_a_stream_deletes_its_snapshots(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 1), stream_id=stream)
        store.save_snapshot(stream, snapshot(1), version=1)
        store.delete_stream(stream)
        assert store.snapshots_raw(stream) == []
        store.append(*deposits(5), stream_id=stream)
        assert [e.event for e in store.load_stream(stream)] == deposits(5)

    def test_a_load_after_a_snapshot_takes_only_the_later_event_rows_from_storage(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(*deposits(*[1] * 50), stream_id=stream)
        store.save_snapshot(stream, snapshot(48), version=48)
        counting = CountingStorage(store.storage)
        EventStore(counting, store.registry).load_stream(stream)
        assert counting.rows_read == 2

    def test_a_snapshot_its_class_cannot_read_is_skipped_for_the_events(
        self, backend: Backend
    ) -> None:
        """The warning names the snapshot and where to read it raw."""
        stream = uuid4()
        old = EventRegistry()
        old.add(AccountSnapshotV0, "contract.AccountSnapshot")
        writer = backend.open(registry=old)
        writer.append(*deposits(1, 2, 3), stream_id=stream)
        writer.save_snapshot(stream, AccountSnapshotV0(total="six"), version=3)
        with pytest.warns(SnapshotSkipped, match="snapshot at position .* snapshots_raw"):
            loaded = backend.open().load_stream(stream)
        assert [e.event for e in loaded] == deposits(1, 2, 3)

    def test_a_snapshot_in_a_rolled_back_transaction_is_gone(self, backend: Backend) -> None:
        stream = uuid4()
        backend.open().append(*deposits(1, 1), stream_id=stream)
        with caller_transaction(backend) as tx:
            tx.store.save_snapshot(stream, snapshot(2), version=2)
            tx.rollback()
        assert backend.open().snapshots_raw(stream) == []
        with caller_transaction(backend) as tx:
            tx.store.save_snapshot(stream, snapshot(2), version=2)
            tx.commit()
        assert [s.version for s in backend.open().snapshots_raw(stream)] == [2]
