"""PostgreSQL: a reader of the whole store never passes an event that may still commit,
and a rolled-back append never stalls it. Writers are not serialised."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from event_sourcery import EventStore, connect, get_event_store
from event_sourcery.testing.events import Deposited
from event_sourcery.testing.race import append_from_processes

pytestmark = pytest.mark.postgres


@pytest.fixture
def reader(postgres_url: str) -> Iterator[EventStore]:
    """A reader of the whole store on its own engine (which creates the tables)."""
    with connect(postgres_url) as store:
        yield store


def _open_writer(engine: Engine) -> tuple[Session, EventStore, int, int]:
    """Writer A: appends in a transaction it leaves open; (session, store, position, xid)."""
    session = Session(engine)
    store = get_event_store(session)
    stream = uuid4()
    store.append(Deposited(amount=100), stream_id=stream)
    [own] = store.load_stream(stream)
    xid = int(session.execute(text("SELECT pg_current_xact_id()::text")).scalar_one())
    return session, store, own.position, xid


def _commit_two_more(postgres_url: str) -> list[int]:
    """Writers B and C append and commit while A is open: positions after A's."""
    with connect(postgres_url, create_tables=False) as other:
        streams = [uuid4(), uuid4()]
        for amount, stream in enumerate(streams, start=1):
            other.append(Deposited(amount=amount), stream_id=stream)
        return [other.load_stream(s)[0].position for s in streams]


def test_a_reader_waits_for_an_open_writer_then_gets_everything_once(
    postgres_engine: Engine, postgres_url: str, reader: EventStore
) -> None:
    base = reader.position
    session, _, a_position, a_xid = _open_writer(postgres_engine)
    try:
        b_and_c = _commit_two_more(postgres_url)
        assert a_position < min(b_and_c)
        assert reader.read_all(after=base) == []  # B and C are committed, but past A
        held = reader.horizon()
        assert held.position < a_position <= max(b_and_c) <= held.allocated
        assert held.blocking == (a_xid % 2**32,)  # pg_locks shows 32-bit ids
        assert held.held_since is not None
        session.commit()
    finally:
        session.close()
    got = reader.read_all(after=base)
    assert [r.position for r in got] == [a_position, *b_and_c]
    assert [r.event for r in got] == [Deposited(amount=a) for a in (100, 1, 2)]
    assert reader.read_all(after=got[-1].position) == []
    assert reader.horizon().held_since is None


def test_a_rolled_back_writer_leaves_a_gap_that_stalls_nobody(
    postgres_engine: Engine, postgres_url: str, reader: EventStore
) -> None:
    base = reader.position
    session, _, a_position, _ = _open_writer(postgres_engine)
    try:
        b_and_c = _commit_two_more(postgres_url)
        assert reader.read_all(after=base) == []
        session.rollback()
    finally:
        session.close()
    got = reader.read_all(after=base)
    assert [r.position for r in got] == b_and_c
    assert a_position not in [r.position for r in got]
    assert reader.position >= max(b_and_c)


def test_concurrent_writers_do_not_wait_for_each_other(
    postgres_engine: Engine, postgres_url: str, reader: EventStore
) -> None:
    session, _, _, _ = _open_writer(postgres_engine)
    try:
        # Appends to other streams commit while A holds its transaction open.
        assert len(_commit_two_more(postgres_url)) == 2
    finally:
        session.rollback()
        session.close()


def test_a_subscriber_following_eight_writers_gets_every_position_once(
    postgres_url: str, postgres_engine: Engine, reader: EventStore
) -> None:
    base, expected = reader.position, 2_000
    exit_codes: list[int | None] = []
    writers = threading.Thread(
        target=lambda: exit_codes.extend(
            append_from_processes(postgres_url, writers=8, events_each=expected // 8)
        )
    )
    writers.start()
    received: list[int] = []
    with reader.subscribe(after=base, batch_size=500, timeout=30) as subscription:
        for batch in subscription:
            received += [event.position for event in batch]
            if len(received) >= expected:
                subscription.stop()
    writers.join()
    assert exit_codes == [0] * 8
    with postgres_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT position FROM event_sourcery_events WHERE position > :b ORDER BY 1"),
            {"b": base},
        ).scalars()
        assert received == list(stored)
    assert len(received) == expected
    assert received == sorted(set(received))
