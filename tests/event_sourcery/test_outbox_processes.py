"""Relays in processes of their own: several at once, one killed mid-delivery, one stopped."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import Engine

from event_sourcery import EntryStatus, Outbox, Outcome, connect
from event_sourcery.records import Recorded
from event_sourcery.storage.sql import tables
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.events import Deposited
from event_sourcery.testing.publishers import RecordingPublisher

RELAYS = 4
STREAMS, PER_STREAM = 500, 10  # 5,000 entries


def _relay(url: str, log: str, barrier: Barrier) -> None:
    """A relay process: delivers until nothing is pending, noting every publish."""
    store = connect(url, create_tables=False)
    with open(log, "w") as out:

        def publish(record: Recorded[Any]) -> None:
            out.write(f"{record.uuid} {record.stream_id.uuid} {record.version} ")
            out.write(f"{time.monotonic()}\n")

        barrier.wait()
        while store.outbox.counts()[EntryStatus.PENDING]:
            store.outbox.run_once(publish, limit=100)
    store.close()


@pytest.mark.postgres
def test_four_relay_processes_deliver_each_entry_exactly_once_in_stream_order(
    postgres_url: str, postgres_engine: Engine, tmp_path: Path
) -> None:
    store = connect(postgres_url, with_outbox=True)
    with postgres_engine.begin() as conn:  # only this test's entries in the outbox
        conn.execute(tables.outbox_attempts.delete())
        conn.execute(tables.outbox.delete())
    for _ in range(STREAMS):
        batch = [Deposited(amount=n) for n in range(1, PER_STREAM + 1)]
        store.append(*batch, stream_id=uuid4())
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(RELAYS, timeout=120)
    logs = [str(tmp_path / f"relay-{n}.log") for n in range(RELAYS)]
    relays = [spawn.Process(target=_relay, args=(postgres_url, log, barrier)) for log in logs]
    for relay in relays:
        relay.start()
    for relay in relays:
        relay.join(300)
        assert relay.exitcode == 0
    published = [line.split() for log in logs for line in Path(log).read_text().splitlines()]
    assert len(published) == STREAMS * PER_STREAM
    assert len({uuid for uuid, *_ in published}) == STREAMS * PER_STREAM
    assert sum(1 for log in logs if Path(log).read_text()) >= 2  # they shared the work
    by_stream: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for _, stream, version, at in published:
        by_stream[stream].append((float(at), int(version)))
    for deliveries in by_stream.values():
        assert [version for _, version in sorted(deliveries)] == list(range(1, PER_STREAM + 1))
    assert store.outbox.counts()[EntryStatus.DELIVERED] == STREAMS * PER_STREAM
    attempts = store.outbox.attempts()
    assert len(attempts) == STREAMS * PER_STREAM
    assert {a.outcome for a in attempts} == {Outcome.DELIVERED}
    store.close()


def _killed_after_publishing(url: str, log: str) -> None:
    """A relay that dies (SIGKILL) after its publisher returned, before it records."""
    outbox = Outbox(connect(url, create_tables=False), lease=30, relay_id="killed")

    def publish(record: Recorded[Any]) -> None:
        with open(log, "w") as out:
            out.write(str(record.uuid))
            out.flush()
            os.fsync(out.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    outbox.run_once(publish)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


def test_a_relay_killed_between_publishing_and_recording_leaves_the_entry_to_another(
    url: str, tmp_path: Path
) -> None:
    store = connect(url, with_outbox=True)
    stream = uuid4()
    store.append(Deposited(amount=1), stream_id=stream)
    [entry] = store.outbox.entries(stream=stream)
    log = tmp_path / "published"
    relay = multiprocessing.get_context("spawn").Process(
        target=_killed_after_publishing, args=(url, str(log))
    )
    relay.start()
    relay.join(60)
    assert relay.exitcode == -signal.SIGKILL
    assert log.read_text() == str(entry.event_uuid)
    [left] = store.outbox.entries(stream=stream)
    assert (left.status, left.leased_by) == (EntryStatus.PENDING, "killed")
    clock = ManualClock()
    clock.advance(31)  # the dead relay's lease runs out
    publisher = RecordingPublisher()
    assert Outbox(store, clock=clock, relay_id="heir").run_once(publisher).delivered == 1
    assert [r.uuid for r in publisher.published] == [entry.event_uuid]  # published again
    assert [(a.relay_id, a.outcome) for a in store.outbox.attempts(entry)] == [
        ("killed", Outcome.ABANDONED),
        ("heir", Outcome.DELIVERED),
    ]
    store.close()


RUN_UNTIL_SIGTERM = """
import logging, sys
from event_sourcery import connect
import event_sourcery.testing.events  # registers the events the test appends
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
store = connect(sys.argv[1])
with open(sys.argv[2], "a") as out:
    def publish(record):
        out.write(f"{record.uuid}\\n")
        out.flush()
    report = store.outbox.run(publish, poll_interval=0.05)
print("delivered", report.delivered, flush=True)
"""


def test_a_running_relay_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    store = connect(url, with_outbox=True)
    log = tmp_path / "published"
    log.touch()
    worker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(RUN_UNTIL_SIGTERM), url, str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for amount in range(3):
            store.append(Deposited(amount=amount), stream_id=uuid4())
        deadline = time.monotonic() + 30
        while len(log.read_text().split()) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        worker.kill()
    assert worker.returncode == 0, output
    assert "SIGTERM received" in output
    assert "delivered 3" in output
    assert len(log.read_text().split()) == 3
    assert {(e.status, e.leased_by) for e in store.outbox.entries()} == {
        (EntryStatus.DELIVERED, None)
    }
