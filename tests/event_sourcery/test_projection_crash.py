"""A projection process killed with SIGKILL mid-batch, again and again, resumes from its
checkpoint: in the end every event is applied exactly once."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.orm import Session

from event_sourcery import EventStore, Projection, connect
from event_sourcery.storage.sql import tables
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.testing.events import Deposited
from event_sourcery.testing.projections import (
    AppliedPositions,
    metadata,
    project_until_killed,
)

KILLS = 5
EVENTS = 1_000


def _kill_mid_run(store: EventStore, url: str, name: str, tag: int) -> int:
    """Start the projection process KILLS times; each time, once it has committed a new
    batch, let it run into the next one for a random moment and SIGKILL it."""
    context = multiprocessing.get_context("spawn")
    kills = 0
    for _ in range(KILLS):
        before = store.storage.checkpoint(name)
        worker = context.Process(target=project_until_killed, args=(url, name, tag))
        worker.start()
        deadline = time.monotonic() + 60
        while store.storage.checkpoint(name) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0.0, 0.05))  # a batch of 50 takes 50 ms or more
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
        kills += worker.exitcode == -signal.SIGKILL
    return kills


def _check(store: EventStore, url: str) -> None:
    storage = store.storage
    assert isinstance(storage, SqlStorage)
    with Session(storage.transactions.engine) as session:
        metadata.create_all(session.connection())
        session.commit()
    store.append(*[Deposited(amount=n) for n in range(EVENTS)], stream_id=uuid4())
    handler = AppliedPositions(random.getrandbits(48))
    name = f"crash-{handler.tag}"
    assert _kill_mid_run(store, url, name, handler.tag) == KILLS
    projection = Projection(store, name, handler)
    killed_at = projection.position
    assert killed_at > 0, "the workers never committed a batch"
    projection.run_once()
    with Session(storage.transactions.engine) as session:
        positions = handler.positions(session)
    expected = [event.position for event in store.read_all()]
    assert positions == expected  # each exactly once, in order
    assert projection.position == store.position


def test_sqlite_projection_survives_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    with connect(url) as store:
        _check(store, url)


@pytest.mark.postgres
def test_postgresql_projection_survives_sigkill(postgres_url: str) -> None:
    with connect(postgres_url) as store:
        storage = store.storage
        assert isinstance(storage, SqlStorage)
        with storage.transactions.engine.begin() as conn:  # only this test's events count
            for table in reversed(tables.metadata.sorted_tables):
                conn.execute(table.delete())
        _check(store, postgres_url)
