"""PostgreSQL: a claim never reads the outbox half-way through a relay's recording."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import Engine, text

from event_sourcery import EntryStatus, StreamId, connect
from event_sourcery.storage.sql.dialects import OUTBOX_RECORD_START
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.events import Deposited

pytestmark = pytest.mark.postgres


def test_a_claim_waits_for_an_outcome_being_recorded_and_keeps_the_stream_order(
    postgres_url: str, postgres_engine: Engine
) -> None:
    store = connect(postgres_url, with_outbox=True)
    stream = StreamId(uuid4(), category="race")
    store.append(Deposited(amount=1), Deposited(amount=2), stream_id=stream)
    first, second = store.outbox.entries(stream=stream)
    clock = ManualClock()
    leased_at = clock.now
    store.outbox.storage.claim("a", leased_at, leased_at + timedelta(seconds=10), 100, 10)
    clock.advance(20)  # relay a's lease has run out: another relay may take over...
    # ...while relay a records, as SqlOutbox.record does under its lock, that the first
    # entry failed (due again in 1,000 s) and hands the second back untried.
    recording = postgres_engine.connect()
    for statement in OUTBOX_RECORD_START:
        recording.execute(text(statement))
    due_later = clock.now + timedelta(seconds=1000)
    recording.execute(
        text(
            "UPDATE event_sourcery_outbox SET attempts = attempts + 1, failures = 1, "
            "next_attempt_at = :due, leased_by = NULL, leased_at = NULL, leased_until = NULL "
            "WHERE position = :p"
        ),
        {"due": due_later, "p": first.position},
    )
    recording.execute(
        text(
            "UPDATE event_sourcery_outbox SET leased_by = NULL, leased_at = NULL, "
            "leased_until = NULL WHERE position = :p"
        ),
        {"p": second.position},
    )
    taken: list[int] = []
    claim = threading.Thread(
        target=lambda: taken.extend(
            leased.position
            for leased in store.outbox.storage.claim(
                "b", clock.now, clock.now + timedelta(seconds=10), 100, 10
            )
        )
    )
    claim.start()
    time.sleep(0.5)
    assert claim.is_alive()  # the claim waits for the recording to finish...
    recording.commit()
    recording.close()
    claim.join(10)
    assert taken == []  # ...and then sees the first entry waiting, holding the second back
    assert [e.status for e in store.outbox.entries(stream=stream)] == [EntryStatus.PENDING] * 2
    store.close()
