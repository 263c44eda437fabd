"""Projections: a handler plus a checkpoint, committed together on the SQL backends."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from event_sourcery.event import Event
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope, Recorded
from event_sourcery.subscriptions.projections import Projection
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.events import Deposited, Opened
from event_sourcery.testing.projections import AppliedPositions


def applied(store: EventStore, handler: AppliedPositions) -> list[int]:
    """The positions the projection applied and committed."""
    with store.storage.checkpointed(f"contract-reader-{handler.tag}") as unit:
        return handler.positions(unit.session)


def new_projection(store: EventStore, **options: object) -> tuple[Projection, AppliedPositions]:
    handler = AppliedPositions(random.getrandbits(48))
    name = f"contract-{handler.tag}"
    return Projection(store, name, handler, on_reset=handler.clear, **options), handler  # type: ignore[arg-type]


class ProjectionContract(BaseContract):
    def test_run_once_catches_up_in_order_and_then_has_nothing_to_do(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2, 3, 4, 5), stream_id=stream)
        projection, handler = new_projection(store, batch_size=2)
        assert projection.run_once() == 5
        assert applied(store, handler) == [e.position for e in store.load_stream(stream)]
        assert projection.position == store.position
        assert projection.run_once() == 0

    def test_a_failing_batch_applies_nothing_and_the_rerun_applies_everything_once(
        self, store: EventStore
    ) -> None:
        store.append(*deposits(1, 2, 3), stream_id=uuid4())
        projection, handler = new_projection(store, batch_size=10)
        flaky = {"left": 1}

        def fail_on_third(recorded: Recorded[Event], session: object) -> None:
            handler(recorded, session)  # type: ignore[arg-type]
            if recorded.position == store.position and flaky["left"]:
                flaky["left"] -= 1
                raise RuntimeError("crash in the middle of a batch")

        projection.handler = fail_on_third
        start = projection.position
        with pytest.raises(RuntimeError):
            projection.run_once()
        assert projection.position == start
        with store.storage.checkpointed("contract-probe") as unit:
            if unit.session is None:
                pytest.skip("in memory the handler's own writes are not transactional")
        assert applied(store, handler) == []
        assert projection.run_once() == 3
        assert applied(store, handler) == [e.position for e in store.read_all()]

    def test_reset_and_rebuild_apply_everything_again(self, store: EventStore) -> None:
        store.append(*deposits(1, 2), stream_id=uuid4())
        projection, handler = new_projection(store)
        projection.run_once()
        before = applied(store, handler)
        projection.reset()
        assert projection.position == 0
        assert applied(store, handler) == []
        assert projection.rebuild() == len(before)
        assert applied(store, handler) == before

    def test_lag_counts_positions_and_seconds_behind(self, store: EventStore) -> None:
        projection, _ = new_projection(store)
        projection.run_once()
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        store.append(
            Envelope(event=Deposited(amount=1), created_at=an_hour_ago),
            Deposited(amount=2),
            stream_id=uuid4(),
        )
        lag = projection.lag()
        assert lag.positions == 2
        assert 3500 < lag.seconds < 3700
        projection.run_once()
        caught_up = projection.lag()
        assert (caught_up.positions, caught_up.seconds) == (0, 0.0)

    def test_filters_apply_and_the_checkpoint_passes_the_rest(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(Opened(owner="x"), Deposited(amount=1), Opened(owner="y"), stream_id=stream)
        projection, handler = new_projection(store, types=[Deposited])
        assert projection.run_once() == 1
        deposited = [
            e.position for e in store.load_stream(stream) if isinstance(e.event, Deposited)
        ]
        assert applied(store, handler)[-1:] == deposited
        assert projection.position == store.position

    def test_run_follows_new_events_until_stopped(self, store: EventStore) -> None:
        projection, _ = new_projection(store)
        projection.run_once()
        stop = threading.Event()
        runner = threading.Thread(target=projection.run, args=(stop, 0.05))
        runner.start()
        store.append(*deposits(7, 8), stream_id=uuid4())
        deadline = time.monotonic() + 10
        while projection.position < store.position and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        runner.join(timeout=5)
        assert not runner.is_alive()
        assert projection.position == store.position
