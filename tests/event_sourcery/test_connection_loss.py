"""connect(url)'s own PostgreSQL engine after the server dropped its connections: an idle
connection is checked and replaced unseen; one dropped mid-use fails one call, not two."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from event_sourcery import EntryStatus, Event, Recorded, StreamId, connect
from event_sourcery.storage.sql.dialects import IDLE_PING_SECONDS
from event_sourcery.testing.events import Deposited

pytestmark = pytest.mark.postgres


def _drop_connections(postgres_url: str, application_name: str) -> None:
    admin = create_engine(postgres_url)
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :n"
            ),
            {"n": application_name},
        ).scalar_one()
    admin.dispose()
    assert dropped >= 1


def _named(postgres_url: str) -> tuple[str, str]:
    name = f"es-loss-{uuid4().hex[:8]}"
    url = make_url(postgres_url).update_query_dict({"application_name": name})
    return url.render_as_string(hide_password=False), name


def test_an_idle_dead_connection_is_replaced_before_use(postgres_url: str) -> None:
    url, name = _named(postgres_url)
    with connect(url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        _drop_connections(postgres_url, name)
        time.sleep(IDLE_PING_SECONDS + 0.2)
        assert [e.version for e in store.load_stream(stream)] == [1]
        store.append(Deposited(amount=2), stream_id=stream, expected_version=1)


def test_a_connection_dropped_while_hot_fails_one_call_and_the_next_works(
    postgres_url: str,
) -> None:
    url, name = _named(postgres_url)
    with connect(url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        _drop_connections(postgres_url, name)
        with pytest.raises(OperationalError) as caught:
            store.load_stream(stream)
        assert caught.value.connection_invalidated
        assert [e.version for e in store.load_stream(stream)] == [1]


def test_an_outbox_relay_keeps_delivering_after_its_connections_are_dropped(
    postgres_url: str,
) -> None:
    url, name = _named(postgres_url)
    with connect(postgres_url, with_outbox=True) as store, connect(url) as relays:
        stream = StreamId(uuid4(), category="loss")
        sent: list[int] = []
        stop = threading.Event()

        def publish(record: Recorded[Event]) -> None:
            sent.append(record.position)

        relay = threading.Thread(
            target=relays.outbox.run,
            args=(publish,),
            kwargs={"poll_interval": 0.05, "stop_event": stop, "handle_signals": False},
        )
        relay.start()
        try:
            for version in range(3):
                store.append(Deposited(amount=version), stream_id=stream, expected_version=version)
                _wait_for(lambda n=version + 1: len(sent) >= n)
                _drop_connections(postgres_url, name)  # the relay's and its waiter's
        finally:
            stop.set()
            relay.join(30)
        assert not relay.is_alive()
        positions = [e.position for e in store.load_stream(stream)]
        assert sent == positions
        assert {e.status for e in store.outbox.entries(stream=stream)} == {EntryStatus.DELIVERED}


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
