"""The outbox's audit trail: queries, replays, retries of dead entries, purges, the run loop."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidOutboxSetting, InvalidRange
from event_sourcery.event_store import EventStore
from event_sourcery.outbox.entries import EntryStatus, Outcome
from event_sourcery.outbox.outbox import Outbox
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.streams import StreamId
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.contract.outbox import OutboxBase
from event_sourcery.testing.events import Deposited, Opened
from event_sourcery.testing.publishers import RecordingPublisher


def one_of_each(store: EventStore, outbox: Outbox, publisher: RecordingPublisher) -> None:
    """Three entries in three streams: the first delivered, the second dead, the third
    pending (a relay allowed one attempt per entry takes the first two)."""
    for amount in (1, 2, 3):
        store.append(Deposited(amount=amount), stream_id=uuid4())
    _, doomed, _ = outbox.entries()
    publisher.fail(doomed.event_uuid)
    strict = Outbox(
        store,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=outbox.relay.clock,
        relay_id=outbox.relay_id,
    )
    strict.run_once(publisher, limit=2)
    assert [e.status for e in outbox.entries()] == [
        EntryStatus.DELIVERED,
        EntryStatus.DEAD,
        EntryStatus.PENDING,
    ]


class OutboxAuditContract(OutboxBase):
    def test_entries_are_found_by_status_stream_type_and_time(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        billing = StreamId(uuid4(), category="billing")
        outbox_store.append(Opened(owner="a"), Deposited(amount=1), stream_id=billing)
        outbox_store.append(Deposited(amount=2), stream_id=uuid4())
        outbox.run_once(publisher, limit=1)
        assert [e.version for e in outbox.entries(stream=billing)] == [1, 2]
        assert [e.version for e in outbox.entries(stream=billing.uuid)] == [1, 2]
        assert outbox.entries(stream=StreamId(billing.uuid, category="other")) == []
        assert [e.type for e in outbox.entries(types=[Opened])] == ["contract.Opened"]
        assert len(outbox.entries(types=["contract.Deposited"])) == 2
        assert [e.type for e in outbox.entries("delivered")] == ["contract.Opened"]
        assert len(outbox.entries(EntryStatus.PENDING)) == 2
        assert len(outbox.entries(EntryStatus.PENDING, stream=billing)) == 1
        assert len(outbox.entries(limit=2)) == 2
        created = outbox.entries()[0].created_at
        assert len(outbox.entries(since=created)) == 3
        assert outbox.entries(until=created) == []
        assert len(outbox.entries(since=datetime.now(UTC) + timedelta(hours=1))) == 0
        second = outbox.entries()[1]
        assert outbox.entries(positions=[second.position]) == [second]
        assert outbox.entries(positions=[]) == []

    def test_bad_queries_and_settings_raise_typed_errors(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        with pytest.raises(InvalidOutboxSetting, match="'lost' is not one of"):
            outbox.entries("lost")
        with pytest.raises(InvalidRange, match="aware"):
            outbox.entries(since=datetime(2026, 1, 1))
        with pytest.raises(InvalidOutboxSetting, match="limit"):
            outbox.run_once(publisher, limit=0)
        with pytest.raises(InvalidOutboxSetting, match="stream"):
            outbox.entries(stream="not-a-uuid")  # type: ignore[arg-type]
        with pytest.raises(InvalidOutboxSetting, match="positions"):
            outbox.entries(positions=[0])
        with pytest.raises(InvalidOutboxSetting, match="positions"):
            outbox.entries(positions="12")  # type: ignore[arg-type]
        with pytest.raises(InvalidOutboxSetting, match="lease"):
            Outbox(outbox_store, lease=0)
        with pytest.raises(InvalidOutboxSetting, match="max_attempts"):
            RetryPolicy(max_attempts=0)
        with pytest.raises(InvalidOutboxSetting, match="base"):
            RetryPolicy(base=10, cap=1)
        with pytest.raises(InvalidOutboxSetting, match="with_outbox"):
            EventStore(outbox_store.storage, with_outbox="yes")  # type: ignore[arg-type]

    def test_a_replay_dry_run_lists_what_it_would_send_and_sends_nothing(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        one_of_each(outbox_store, outbox, publisher)
        sent_before = list(publisher.published)
        attempts_before = outbox.attempts()
        report = outbox.replay(outbox.selection(), publisher)
        assert report.dry_run
        assert [e.status for e in report.entries] == [EntryStatus.DELIVERED, EntryStatus.DEAD]
        assert [e.status for e in report.skipped] == [EntryStatus.PENDING]
        assert publisher.published == sent_before
        assert outbox.attempts() == attempts_before

    def test_a_replay_sends_dead_and_delivered_entries_again_as_replay_attempts(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        one_of_each(outbox_store, outbox, publisher)
        delivered, dead, pending = outbox.entries()
        published = len(publisher.published)
        report = outbox.replay([delivered, dead, pending], publisher, dry_run=False)
        assert report.delivered == [delivered.position, dead.position]
        assert [e.position for e in report.skipped] == [pending.position]
        assert [r.position for r in publisher.published[published:]] == report.delivered
        now_delivered, now_dead, still_pending = outbox.entries()
        assert now_dead.status is EntryStatus.DELIVERED
        assert now_delivered.delivered_at == delivered.delivered_at  # the first delivery
        assert still_pending.status is EntryStatus.PENDING
        last = [outbox.attempts(e)[-1] for e in (delivered, dead)]
        assert [(a.replay, a.outcome) for a in last] == [(True, Outcome.DELIVERED)] * 2
        assert [a.number for a in last] == [delivered.attempts + 1, dead.attempts + 1]

    def test_a_failed_replay_is_recorded_and_changes_no_status(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        one_of_each(outbox_store, outbox, publisher)
        delivered, dead, _ = outbox.entries()
        publisher.down = True
        report = outbox.replay(outbox.selection(), publisher, dry_run=False)
        assert report.delivered == []
        assert report.failed == {
            delivered.position: "BrokerDown: the broker is down",
            dead.position: "BrokerDown: the broker is down",
        }
        assert [e.status for e in outbox.entries()][:2] == [
            EntryStatus.DELIVERED,
            EntryStatus.DEAD,
        ]
        [replayed] = [a for a in outbox.attempts(dead) if a.replay]
        assert (replayed.outcome, replayed.error_type) == (Outcome.FAILED, "BrokerDown")

    def test_retry_puts_dead_entries_back_to_pending_with_a_fresh_count(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        one_of_each(outbox_store, outbox, publisher)
        _, dead, _ = outbox.entries()
        assert outbox.retry(outbox.selection()) == 1
        [again] = outbox.entries(stream=dead.stream_id)
        assert (again.status, again.failures, again.attempts) == (
            EntryStatus.PENDING,
            0,
            dead.attempts,
        )
        assert outbox.run_once(publisher).delivered == 2
        assert outbox.counts()[EntryStatus.DELIVERED] == 3
        numbers = [a.number for a in outbox.attempts(dead)]
        assert numbers == list(range(1, dead.attempts + 2))

    def test_purge_forgets_delivered_entries_older_than_the_cutoff(
        self,
        outbox_store: EventStore,
        outbox: Outbox,
        publisher: RecordingPublisher,
        clock: ManualClock,
    ) -> None:
        one_of_each(outbox_store, outbox, publisher)
        delivered, dead, pending = outbox.entries()
        assert outbox.purge(older_than=timedelta(days=1)) == 0
        clock.advance(2 * 86400)
        assert outbox.purge(older_than=timedelta(days=1)) == 1
        assert [e.position for e in outbox.entries()] == [dead.position, pending.position]
        assert outbox.attempts(delivered) == []
        assert outbox.attempts(dead) != []
        assert outbox.purge(older_than=clock.now, dead=True) == 1
        assert [e.position for e in outbox.entries()] == [pending.position]

    def test_run_delivers_until_stopped(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        stop = threading.Event()
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        worker = threading.Thread(
            target=outbox.run,
            args=(publisher,),
            kwargs={"stop_event": stop, "poll_interval": 0.05, "handle_signals": False},
        )
        worker.start()
        try:
            outbox_store.append(Deposited(amount=2), stream_id=uuid4())
            deadline = time.monotonic() + 10
            while len(publisher.published) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop.set()
            worker.join(10)
        assert not worker.is_alive()
        assert [r.event for r in publisher.published] == [
            Deposited(amount=1),
            Deposited(amount=2),
        ]
