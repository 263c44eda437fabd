"""PostgreSQL: a claim never reads the outbox half-way through a relay's recording."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from event_sourcery import ConcurrentStreamWriteError, EntryStatus, StreamId, connect
from event_sourcery.storage.sql.dialects import OUTBOX_RECORD_START
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.events import Deposited

pytestmark = pytest.mark.postgres
OUTBOX_LOCK = 7461540432168870721
"""The advisory lock claims take (``dialects.OUTBOX_CLAIM_START``)."""


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


def test_a_refused_append_on_the_relays_engine_leaves_the_next_batches_whole(
    postgres_url: str,
) -> None:
    """psycopg's rollback deallocates its prepared statements; a relay sharing the engine
    must claim and record as before."""
    store = connect(postgres_url, with_outbox=True)
    try:
        stream = uuid4()
        for amount in range(6):  # enough for psycopg to prepare the append
            store.append(Deposited(amount=amount), stream_id=stream, expected_version=amount)
        with pytest.raises(ConcurrentStreamWriteError):
            store.append(Deposited(amount=9), stream_id=stream, expected_version=0)
        while store.outbox.run_once(lambda recorded: None, limit=4).claimed:
            pass
        entries = store.outbox.entries(stream=stream)
        assert [e.status for e in entries] == [EntryStatus.DELIVERED] * 6
        assert [a.number for e in entries for a in store.outbox.attempts(e)] == [1] * 6
    finally:
        store.close()


def test_a_record_that_times_out_on_the_claim_lock_leaves_the_relay_running(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(postgres_url)
    impatient = url.update_query_dict({"options": f"{url.query['options']} -clock_timeout=200"})
    store = connect(impatient, with_outbox=True)
    store.append(Deposited(amount=1), stream_id=uuid4())
    claiming_engine = create_engine(postgres_url)
    claiming = claiming_engine.connect()

    def publisher(recorded: object) -> None:
        if not claiming.in_transaction():  # a claim elsewhere holds the lock from now on
            claiming.execute(text(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK})"))
            raise RuntimeError("the broker is down")

    stop = threading.Event()
    died: list[BaseException] = []

    def relay() -> None:
        try:
            store.outbox.run(publisher, stop_event=stop, handle_signals=False, poll_interval=0.05)
        except BaseException as error:  # what this test is about
            died.append(error)

    caplog.set_level("WARNING", logger="event_sourcery.outbox")
    thread = threading.Thread(target=relay)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while "database failed" not in caplog.text and thread.is_alive():
            assert time.monotonic() < deadline, "the relay never met the lock"
            time.sleep(0.05)
    finally:
        claiming.rollback()
        claiming.close()
        claiming_engine.dispose()
        stop.set()
        thread.join(timeout=20)
        store.close()
    assert died == []
    assert "lock timeout" in caplog.text
