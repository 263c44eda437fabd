"""The outbox: entries written with the events, delivered in stream order, every attempt kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import ConcurrentStreamWriteError
from event_sourcery.event_store import EventStore
from event_sourcery.outbox.entries import ABANDONED_MESSAGE, EntryStatus, OutboxFilter, Outcome
from event_sourcery.outbox.outbox import Outbox
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.registry import EventRegistry
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.contract.base import BaseContract, caller_transaction, deposits
from event_sourcery.testing.events import Deposited, Opened
from event_sourcery.testing.publishers import BrokerDown, RecordingPublisher

RETRY = RetryPolicy(base=2.0, cap=10.0, max_attempts=4)


class OutboxBase(BaseContract):
    @pytest.fixture
    def outbox_store(self, backend: Backend) -> EventStore:
        return EventStore(backend.open().storage, with_outbox=True)

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @pytest.fixture
    def outbox(self, outbox_store: EventStore, clock: ManualClock) -> Outbox:
        return Outbox(outbox_store, retry_policy=RETRY, clock=clock, relay_id="relay-1")

    @pytest.fixture
    def publisher(self) -> RecordingPublisher:
        return RecordingPublisher()


class OutboxContract(OutboxBase):
    def test_a_store_without_the_outbox_writes_no_entries(self, store: EventStore) -> None:
        store.append(Deposited(amount=1), stream_id=uuid4())
        assert store.outbox.entries() == []

    def test_every_appended_event_gets_a_pending_entry(
        self, outbox_store: EventStore, outbox: Outbox
    ) -> None:
        stream = StreamId(uuid4(), category="billing")
        outbox_store.append(*deposits(1, 2), stream_id=stream)
        events = outbox_store.load_stream(stream)
        entries = outbox.entries()
        assert [e.position for e in entries] == [e.position for e in events]
        assert [e.event_uuid for e in entries] == [e.uuid for e in events]
        assert [e.version for e in entries] == [1, 2]
        assert {(e.stream_id.uuid, e.stream_id.category) for e in entries} == {
            (stream.uuid, "billing")
        }
        assert {e.type for e in entries} == {"contract.Deposited"}
        assert {(e.status, e.attempts, e.delivered_at) for e in entries} == {
            (EntryStatus.PENDING, 0, None)
        }
        assert outbox.counts() == {
            EntryStatus.PENDING: 2,
            EntryStatus.DELIVERED: 0,
            EntryStatus.DEAD: 0,
        }

    def test_a_filter_gives_entries_only_to_the_types_and_categories_it_names(
        self, backend: Backend
    ) -> None:
        only = OutboxFilter(types=[Opened], categories=["billing"])
        store = EventStore(backend.open().storage, with_outbox=only)
        billing, other = StreamId(uuid4(), category="billing"), StreamId(uuid4(), category="ops")
        store.append(Opened(owner="a"), Deposited(amount=1), stream_id=billing)
        store.append(Opened(owner="b"), stream_id=other)
        assert [(e.type, e.version) for e in store.outbox.entries()] == [("contract.Opened", 1)]

    def test_rolling_back_the_callers_transaction_removes_the_entries(
        self, backend: Backend
    ) -> None:
        with caller_transaction(backend) as tx:
            store = EventStore(tx.store.storage, with_outbox=True)
            store.append(Deposited(amount=1), stream_id=uuid4())
            tx.rollback()
        with caller_transaction(backend) as tx:
            store = EventStore(tx.store.storage, with_outbox=True)
            kept = uuid4()
            store.append(Deposited(amount=2), stream_id=kept)
            tx.commit()
        assert [e.stream_id.uuid for e in backend.open().outbox.entries()] == [kept]

    def test_a_refused_append_leaves_no_entry(self, outbox_store: EventStore) -> None:
        stream = uuid4()
        outbox_store.append(Deposited(amount=1), stream_id=stream)
        with pytest.raises(ConcurrentStreamWriteError):
            outbox_store.append(Deposited(amount=2), stream_id=stream, expected_version=0)
        assert [e.version for e in outbox_store.outbox.entries()] == [1]

    def test_the_relay_delivers_in_position_order_and_records_each_attempt(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        first, second = uuid4(), uuid4()
        outbox_store.append(*deposits(1, 2), stream_id=first)
        outbox_store.append(*deposits(3), stream_id=second)
        report = outbox.run_once(publisher)
        assert (report.claimed, report.delivered) == (3, 3)
        assert [r.event for r in publisher.published] == deposits(1, 2, 3)
        assert publisher.published[0].stream_id.uuid == first
        assert {e.status for e in outbox.entries()} == {EntryStatus.DELIVERED}
        attempts = outbox.attempts()
        assert [(a.position, a.number, a.outcome) for a in attempts] == [
            (e.position, 1, Outcome.DELIVERED) for e in outbox.entries()
        ]
        assert {a.relay_id for a in attempts} == {"relay-1"}
        assert all(a.started_at <= a.finished_at for a in attempts if a.finished_at)
        assert outbox.run_once(publisher).claimed == 0

    def test_each_delivering_attempt_keeps_its_own_start_finish_and_relay(
        self, outbox_store: EventStore, outbox: Outbox, clock: ManualClock
    ) -> None:
        for amount in range(3):
            outbox_store.append(Deposited(amount=amount), stream_id=uuid4())
        start = clock.now

        def slow(record: object) -> None:  # each publish takes two seconds
            clock.advance(2)

        assert outbox.run_once(slow).delivered == 3
        attempts = outbox.attempts()
        second = timedelta(seconds=1)
        assert [(a.started_at, a.finished_at) for a in attempts] == [
            (start + 2 * n * second, start + 2 * (n + 1) * second) for n in range(3)
        ]
        assert [e.delivered_at for e in outbox.entries()] == [a.finished_at for a in attempts]
        assert [(a.number, a.relay_id, a.replay) for a in attempts] == [(1, "relay-1", False)] * 3

    def test_a_relay_id_with_quotes_and_placeholders_is_stored_as_given(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        relay_id = "o'neil \\ %s %(p_now)s; COMMIT; --"
        outbox = Outbox(outbox_store, retry_policy=RETRY, clock=clock, relay_id=relay_id)
        outbox_store.append(*deposits(1, 2), stream_id=uuid4())
        assert outbox.run_once(publisher).delivered == 2
        assert {a.relay_id for a in outbox.attempts()} == {relay_id}

    def test_a_batch_takes_at_most_limit_entries(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        for amount in range(5):
            outbox_store.append(Deposited(amount=amount), stream_id=uuid4())
        assert outbox.run_once(publisher, limit=2).delivered == 2
        assert outbox.run_once(publisher, limit=10).delivered == 3
        assert [r.event.amount for r in publisher.published] == [0, 1, 2, 3, 4]  # type: ignore[attr-defined]

    def test_transient_failures_deliver_after_one_more_attempt_on_the_backoff_schedule(
        self,
        outbox_store: EventStore,
        outbox: Outbox,
        publisher: RecordingPublisher,
        clock: ManualClock,
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        [entry] = outbox.entries()
        publisher.fail(entry.event_uuid, times=3)
        for failures, wait in ((1, 2.0), (2, 4.0), (3, 8.0)):
            assert outbox.run_once(publisher).failed == 1
            [entry] = outbox.entries()
            assert (entry.status, entry.failures) == (EntryStatus.PENDING, failures)
            assert entry.next_attempt_at == clock.now + timedelta(seconds=wait)
            assert entry.last_error == f"BrokerDown: refused {entry.event_uuid}"
            clock.advance(wait - 0.5)
            assert outbox.run_once(publisher).claimed == 0  # not due yet
            clock.advance(0.5)
        assert outbox.run_once(publisher).delivered == 1
        [entry] = outbox.entries()
        assert entry.status is EntryStatus.DELIVERED
        assert entry.delivered_at == clock.now
        attempts = outbox.attempts(entry)
        assert [(a.number, a.outcome, a.error_type) for a in attempts] == [
            (1, Outcome.FAILED, "BrokerDown"),
            (2, Outcome.FAILED, "BrokerDown"),
            (3, Outcome.FAILED, "BrokerDown"),
            (4, Outcome.DELIVERED, None),
        ]
        assert [r.uuid for r in publisher.published] == [entry.event_uuid]

    def test_the_backoff_stops_growing_at_its_cap(self) -> None:
        policy = RetryPolicy(base=1.0, cap=5.0, max_attempts=100)
        assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 5, 5]
        assert policy.delay(10_000).total_seconds() == 5

    def test_past_max_attempts_an_entry_is_dead_with_its_last_error(
        self,
        outbox_store: EventStore,
        outbox: Outbox,
        publisher: RecordingPublisher,
        clock: ManualClock,
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        publisher.down = True
        for _ in range(RETRY.max_attempts):
            clock.advance(RETRY.cap)
            outbox.run_once(publisher)
        [entry] = outbox.entries()
        assert (entry.status, entry.failures) == (EntryStatus.DEAD, RETRY.max_attempts)
        assert entry.last_error == "BrokerDown: the broker is down"
        assert entry.next_attempt_at is None
        outcomes = [a.outcome for a in outbox.attempts(entry)]
        assert outcomes == [Outcome.FAILED] * (RETRY.max_attempts - 1) + [Outcome.DEAD]
        clock.advance(RETRY.cap)
        publisher.down = False
        assert outbox.run_once(publisher).claimed == 0
        assert outbox.entries(EntryStatus.DEAD) == [entry]

    def test_an_entry_whose_event_cannot_be_decoded_is_dead_at_once(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        unaware = EventStore(outbox_store.storage, EventRegistry())
        relay = Outbox(unaware, retry_policy=RETRY, clock=clock)
        assert relay.run_once(publisher).dead == 1
        [entry] = relay.entries()
        assert entry.status is EntryStatus.DEAD
        assert entry.last_error is not None
        assert "contract.Deposited" in entry.last_error
        [attempt] = relay.attempts(entry)
        assert (attempt.outcome, attempt.error_type) == (Outcome.DEAD, "UnknownEventType")
        assert publisher.calls == 0

    def test_an_entry_whose_stream_was_deleted_is_dead_at_once(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        stream = uuid4()
        outbox_store.append(Deposited(amount=1), stream_id=stream)
        outbox_store.delete_stream(stream)
        assert outbox.run_once(publisher).dead == 1
        assert outbox.entries(stream=stream) == []  # found through the stream's events
        [entry] = outbox.entries(EntryStatus.DEAD)
        assert entry.last_error is not None
        assert "no longer stored" in entry.last_error
        assert publisher.calls == 0

    def test_a_failing_head_entry_holds_its_stream_back_while_others_flow(
        self,
        outbox_store: EventStore,
        outbox: Outbox,
        publisher: RecordingPublisher,
        clock: ManualClock,
    ) -> None:
        held, flowing = uuid4(), uuid4()
        outbox_store.append(*deposits(1, 2, 3), stream_id=held)
        outbox_store.append(*deposits(10, 20), stream_id=flowing)
        head = outbox_store.load_stream(held)[0]
        publisher.fail(head.uuid, times=2)
        report = outbox.run_once(publisher)
        assert (report.failed, report.held, report.delivered) == (1, 2, 2)
        outbox_store.append(*deposits(30), stream_id=flowing, expected_version=2)
        outbox_store.append(*deposits(4), stream_id=held, expected_version=3)
        assert outbox.run_once(publisher).delivered == 1  # only the flowing stream's
        assert [r.event for r in publisher.published] == deposits(10, 20, 30)
        clock.advance(RETRY.delay(1).total_seconds())
        assert outbox.run_once(publisher).failed == 1
        clock.advance(RETRY.delay(2).total_seconds())
        assert outbox.run_once(publisher).delivered == 4
        in_held = [r.event for r in publisher.published if r.stream_id.uuid == held]
        assert in_held == deposits(1, 2, 3, 4)

    def test_a_dead_entry_no_longer_holds_its_stream_back(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        outbox = Outbox(outbox_store, retry_policy=RetryPolicy(max_attempts=1), clock=clock)
        stream = uuid4()
        outbox_store.append(*deposits(1, 2), stream_id=stream)
        publisher.fail(outbox_store.load_stream(stream)[0].uuid)
        report = outbox.run_once(publisher)
        assert (report.dead, report.delivered, report.held) == (1, 1, 0)
        assert [r.event for r in publisher.published] == deposits(2)

    def test_a_relay_keeps_off_entries_leased_to_another_and_their_streams(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        stream = uuid4()
        outbox_store.append(*deposits(1), stream_id=stream)
        other = Outbox(outbox_store, clock=clock, relay_id="other", lease=30)
        other.storage.claim("other", clock.now, clock.now + timedelta(seconds=30), 10, 10)
        outbox_store.append(*deposits(2), stream_id=stream, expected_version=1)
        outbox_store.append(*deposits(3), stream_id=uuid4())
        mine = Outbox(outbox_store, clock=clock, relay_id="mine")
        assert mine.run_once(publisher).delivered == 1
        assert [r.event for r in publisher.published] == deposits(3)
        assert [e.leased_by for e in outbox_store.outbox.entries(stream=stream)] == ["other", None]

    def test_a_lease_that_runs_out_is_taken_over_and_the_lost_attempt_kept(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        dying = Outbox(outbox_store, clock=clock, relay_id="dying", lease=30)
        leased_at = clock.now
        dying.storage.claim("dying", leased_at, leased_at + timedelta(seconds=30), 10, 10)
        taker = Outbox(outbox_store, clock=clock, relay_id="taker", retry_policy=RETRY)
        assert taker.run_once(publisher).claimed == 0
        clock.advance(30)
        taken_at = clock.now
        assert taker.run_once(publisher).delivered == 1
        [entry] = taker.entries()
        attempts = taker.attempts(entry)
        assert [(a.number, a.relay_id, a.outcome) for a in attempts] == [
            (1, "dying", Outcome.ABANDONED),
            (2, "taker", Outcome.DELIVERED),
        ]
        lost = attempts[0]
        assert (lost.started_at, lost.finished_at) == (leased_at, taken_at)
        assert (lost.error_type, lost.error_message, lost.replay) == (
            None,
            ABANDONED_MESSAGE,
            False,
        )
        assert (entry.status, entry.attempts, entry.failures) == (EntryStatus.DELIVERED, 2, 1)
        assert (entry.last_error, entry.leased_by) == (ABANDONED_MESSAGE, None)

    def test_a_relay_whose_lease_was_taken_over_records_nothing_over_it(
        self, outbox_store: EventStore, clock: ManualClock, publisher: RecordingPublisher
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())
        slow = Outbox(outbox_store, clock=clock, relay_id="slow", lease=5)

        def late(record: Any) -> None:
            clock.advance(10)  # the lease runs out while publishing...
            taker = Outbox(outbox_store, clock=clock, relay_id="taker")
            assert taker.run_once(publisher).delivered == 1  # ...and another relay delivers

        slow.run_once(late)
        [entry] = slow.entries()
        assert [(a.relay_id, a.outcome) for a in slow.attempts(entry)] == [
            ("slow", Outcome.ABANDONED),
            ("taker", Outcome.DELIVERED),
        ]
        assert entry.attempts == 2

    def test_a_publisher_that_raises_keyboard_interrupt_leaves_nothing_leased(
        self, outbox_store: EventStore, outbox: Outbox, publisher: RecordingPublisher
    ) -> None:
        outbox_store.append(*deposits(1, 2), stream_id=uuid4())

        def interrupted(record: Any) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            outbox.run_once(interrupted)
        assert {e.leased_by for e in outbox.entries()} == {None}
        assert outbox.run_once(publisher).delivered == 2

    def test_publisher_errors_are_recorded_with_their_type_and_message(
        self, outbox_store: EventStore, outbox: Outbox
    ) -> None:
        outbox_store.append(Deposited(amount=1), stream_id=uuid4())

        def broken(record: Any) -> None:
            raise BrokerDown("channel closed <by> 'peer'")

        outbox.run_once(broken)
        [attempt] = outbox.attempts()
        assert (attempt.error_type, attempt.error_message) == (
            "BrokerDown",
            "channel closed <by> 'peer'",
        )
