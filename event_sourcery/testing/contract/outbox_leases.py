"""The outbox at its edges: leases running out, replays meeting retries, times in any zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import InvalidOutboxSetting
from event_sourcery.event_store import EventStore
from event_sourcery.outbox.entries import ABANDONED_MESSAGE, EntryStatus, Outcome
from event_sourcery.outbox.outbox import Outbox
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.contract.base import deposits
from event_sourcery.testing.contract.outbox import OutboxBase
from event_sourcery.testing.events import Deposited
from event_sourcery.testing.publishers import RecordingPublisher


class OutboxLeaseContract(OutboxBase):
    def test_a_relay_stops_publishing_when_its_lease_runs_out_mid_batch(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        for amount in (1, 2, 3):
            outbox_store.append(Deposited(amount=amount), stream_id=uuid4())
        slow = Outbox(outbox_store, clock=clock, lease=5)

        def too_slow(record: Any) -> None:
            publisher(record)
            clock.advance(6)  # the lease is over before the next entry

        report = slow.run_once(too_slow)
        assert (report.delivered, report.held) == (1, 2)
        assert [r.event for r in publisher.published] == deposits(1)
        assert [(e.status, e.leased_by) for e in slow.entries()] == [
            (EntryStatus.DELIVERED, None),
            (EntryStatus.PENDING, None),
            (EntryStatus.PENDING, None),
        ]

    def test_an_entry_whose_last_allowed_attempt_was_abandoned_is_dead_without_another(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        policy = RetryPolicy(base=1, cap=1, max_attempts=2)
        first = Outbox(outbox_store, retry_policy=policy, clock=clock, relay_id="first")
        publisher.down = True
        assert first.run_once(publisher).failed == 1
        clock.advance(1)
        first.storage.claim("dying", clock.now, clock.now + timedelta(seconds=10), 10, 2)
        clock.advance(10)
        heir = Outbox(outbox_store, retry_policy=policy, clock=clock, relay_id="heir")
        publisher.down = False
        assert heir.run_once(publisher).claimed == 0
        [entry] = heir.entries()
        assert (entry.status, entry.failures, entry.attempts) == (EntryStatus.DEAD, 2, 2)
        assert (entry.last_error, entry.next_attempt_at) == (ABANDONED_MESSAGE, None)
        assert (entry.leased_by, entry.leased_at, entry.leased_until) == (None, None, None)
        assert [(a.number, a.relay_id, a.outcome) for a in heir.attempts(entry)] == [
            (1, "first", Outcome.FAILED),
            (2, "dying", Outcome.ABANDONED),
        ]
        assert publisher.published == []

    def test_a_replay_does_not_undo_a_retry_made_while_it_ran(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        strict = Outbox(
            outbox_store, retry_policy=RetryPolicy(max_attempts=1), clock=outbox.relay.clock
        )
        publisher.down = True
        assert strict.run_once(publisher).dead == 1
        [dead] = outbox.entries()

        def retried_meanwhile(record: Any) -> None:
            assert outbox.retry([dead]) == 1
            raise ConnectionError("the broker is down")

        outbox.replay([dead], retried_meanwhile, dry_run=False)
        [entry] = outbox.entries()
        assert (entry.status, entry.failures) == (EntryStatus.PENDING, 0)
        assert [a.replay for a in outbox.attempts(entry)] == [False]  # the replay lost
        publisher.down = False
        assert outbox.run_once(publisher).delivered == 1

    def test_times_in_any_zone_select_and_purge_the_same_entries(
        self,
        outbox_store: EventStore,
        outbox: Outbox,
        publisher: RecordingPublisher,
        clock: ManualClock,
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        [entry] = outbox.entries()
        east, west = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
        before = (entry.created_at - timedelta(seconds=1)).astimezone(east)
        after = (entry.created_at + timedelta(seconds=1)).astimezone(west)
        assert outbox.entries(since=before, until=after) == [entry]
        assert outbox.entries(since=after.astimezone(east)) == []
        outbox.run_once(publisher)
        clock.advance(60)
        assert outbox.purge(older_than=(clock.now - timedelta(seconds=30)).astimezone(west)) == 1

    def test_a_clock_without_a_timezone_is_refused(self, outbox_store: EventStore) -> None:
        with pytest.raises(InvalidOutboxSetting, match="clock"):
            Outbox(outbox_store, clock=lambda: datetime.now(UTC).replace(tzinfo=None))
