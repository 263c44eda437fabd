"""Catch-up subscriptions: the stored events, then new ones as they commit; a clean stop."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import pytest

from event_sourcery.event_store import EventStore
from event_sourcery.storage.reading import PollingWaiter
from event_sourcery.streams import StreamId
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.events import Deposited, Opened


def _append_later(store: EventStore, delay: float, *amounts: int) -> threading.Thread:
    def append() -> None:
        time.sleep(delay)
        for amount in amounts:
            store.append(Deposited(amount=amount), stream_id=uuid4())

    thread = threading.Thread(target=append)
    thread.start()
    return thread


class SubscriptionContract(BaseContract):
    def test_it_catches_up_in_batches_then_ends_after_the_timeout(self, store: EventStore) -> None:
        before = store.position
        store.append(*deposits(1, 2, 3, 4, 5), stream_id=uuid4())
        with store.subscribe(after=before, batch_size=2, timeout=0.3) as subscription:
            batches = list(subscription)
        assert [[e.event.amount for e in b] for b in batches] == [[1, 2], [3, 4], [5]]  # type: ignore[attr-defined]
        assert subscription.position == store.position

    def test_it_follows_new_commits_until_stopped(self, store: EventStore) -> None:
        subscription = store.subscribe(after=store.position, poll_interval=0.05)
        writer = _append_later(store, 0.1, 7, 8, 9)
        received: list[int] = []
        for batch in subscription:
            received += [e.event.amount for e in batch]  # type: ignore[attr-defined]
            if len(received) == 3:
                subscription.stop()
        writer.join()
        assert received == [7, 8, 9]

    def test_a_stop_signal_from_another_thread_ends_a_waiting_subscriber(
        self, store: EventStore
    ) -> None:
        stop = threading.Event()
        subscription = store.subscribe(after=store.position, stop_event=stop)
        threading.Timer(0.2, stop.set).start()
        started = time.monotonic()
        assert list(subscription) == []
        assert time.monotonic() - started < 2.0

    def test_filters_apply_and_passed_over_events_are_not_read_again(
        self, store: EventStore
    ) -> None:
        before = store.position
        orders = StreamId(uuid4(), category="orders")
        store.append(Opened(owner="x"), Deposited(amount=1), stream_id=orders)
        store.append(*deposits(2, 3), stream_id=uuid4())
        with store.subscribe(
            after=before, types=[Deposited], categories=["orders"], timeout=0.2
        ) as sub:
            [batch] = list(sub)
        assert [e.event for e in batch] == [Deposited(amount=1)]
        assert sub.position == store.position

    def test_waiting_does_not_spin(self, store: EventStore) -> None:
        started = time.process_time()
        with store.subscribe(after=store.position, poll_interval=0.05, timeout=0.6) as sub:
            assert list(sub) == []
        assert time.process_time() - started < 0.3

    def test_an_append_wakes_the_subscriber_without_polling(self, store: EventStore) -> None:
        probe = store.storage.waiter(1.0)
        probe.close()
        if isinstance(probe, PollingWaiter):
            pytest.skip("this backend is polled: nothing tells it of an append")
        subscription = store.subscribe(after=store.position, poll_interval=60)
        writer = _append_later(store, 0.2, 1)
        started = time.monotonic()
        batch = next(subscription)
        waited = time.monotonic() - started
        subscription.close()
        writer.join()
        assert [e.event for e in batch] == [Deposited(amount=1)]
        assert waited < 5.0  # woken by the append, long before the 60 s poll
