"""A projection process killed with SIGKILL mid-batch, again and again while events keep
coming, resumes from its checkpoint: after every kill its read model holds each event up to
the checkpoint exactly once, and in the end every event is applied exactly once (the
handler writes in the checkpoint's transaction, as ``Projection`` promises on SQL).
``EVENT_SOURCERY_CRASH_ROUNDS`` (20 by default) sets twice the kills, for a deeper run."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from multiprocessing.context import BaseContext
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from event_sourcery import EventStore, Projection, connect
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.testing.events import Deposited
from event_sourcery.testing.projections import (
    AppliedPositions,
    metadata,
    project_until_killed,
)

KILLS = max(int(os.environ.get("EVENT_SOURCERY_CRASH_ROUNDS", "20")) // 2, 1)
EVENTS_BEFORE, EVENTS_DURING = 200, 20  # each round: before the worker starts, while it runs


def _forkserver() -> BaseContext:
    """Workers forked from a server with the library imported: a restart takes
    milliseconds, not a fresh interpreter's second or more."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["event_sourcery", "event_sourcery.testing.projections"])
    return context


def _applied_exactly_once_so_far(store: EventStore, handler: AppliedPositions, name: str) -> None:
    storage = store.storage
    assert isinstance(storage, SqlStorage)
    checkpoint = storage.checkpoint(name)
    with Session(storage.transactions.engine) as session:
        applied = handler.positions(session)
    events = store.read_all_raw(0, None)
    assert applied == [event.position for event in events if event.position <= checkpoint]


def _kill_mid_run(store: EventStore, url: str, name: str, handler: AppliedPositions) -> int:
    """KILLS times: append events, start the projection process, wait for it to commit a
    batch, append more, let it run into its next batch for a random moment and SIGKILL it."""
    context = _forkserver()
    kills = 0
    for _ in range(KILLS):
        store.append(*[Deposited(amount=n) for n in range(EVENTS_BEFORE)], stream_id=uuid4())
        before = store.storage.checkpoint(name)
        worker = context.Process(target=project_until_killed, args=(url, name, handler.tag))
        worker.start()
        deadline = time.monotonic() + 120
        while store.storage.checkpoint(name) == before:
            assert worker.is_alive(), f"the projection ended by itself ({worker.exitcode})"
            assert time.monotonic() < deadline, "the projection never committed a batch"
            time.sleep(0.005)
        store.append(*[Deposited(amount=n) for n in range(EVENTS_DURING)], stream_id=uuid4())
        time.sleep(random.uniform(0.0, 0.3))  # mid-batch, at a commit or between batches
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
        kills += worker.exitcode == -signal.SIGKILL
        _applied_exactly_once_so_far(store, handler, name)
    return kills


def _check(store: EventStore, url: str) -> None:
    storage = store.storage
    assert isinstance(storage, SqlStorage)
    with Session(storage.transactions.engine) as session:
        metadata.create_all(session.connection())
        session.commit()
    handler = AppliedPositions(random.getrandbits(48))
    name = f"crash-{handler.tag}"
    started = time.monotonic()
    assert _kill_mid_run(store, url, name, handler) == KILLS
    projection = Projection(store, name, handler)
    killed_at = projection.position
    assert killed_at > 0, "the workers never committed a batch"
    caught_up = projection.run_once()
    with Session(storage.transactions.engine) as session:
        positions = handler.positions(session)
    expected = [event.position for event in store.read_all_raw(0, None)]
    assert positions == expected  # each exactly once, in order
    assert projection.position == store.position
    figures = {
        "backend": storage.transactions.engine.dialect.name,
        "kills": KILLS,
        "events": len(expected),
        "applied_by_killed_workers": len(expected) - caught_up,
        "left_for_the_last_run": caught_up,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\ncrash safety figures: projection {figures}")


def test_sqlite_projection_survives_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    with connect(url) as store:
        _check(store, url)


@pytest.mark.postgres
def test_postgresql_projection_survives_sigkill(postgres_engine: Engine) -> None:
    from tests.conftest import schema_of_its_own

    with schema_of_its_own(postgres_engine, "crash_projection") as url, connect(url) as store:
        _check(store, url)
