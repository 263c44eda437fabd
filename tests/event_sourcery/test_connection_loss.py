"""connect(url)'s own PostgreSQL engine after the server dropped its connections: an idle
connection is checked and replaced unseen; one dropped mid-use fails one call, not two,
with ``StoreUnavailable`` (also SQLAlchemy's ``OperationalError``, as before).

Then a real restart, on a private cluster of these tests' own (``tests/private_postgres``;
the shared server is never touched): calls in flight fail as ``StoreUnavailable`` and
write nothing, calls while it is down say it cannot be reached, and once it is back the
same store works again at once (at most one call fails on a pooled connection that died
with the server); an outbox relay, a projection and a subscription run across the restart
and end up having handled every event."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from threading import Thread
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from event_sourcery import (
    EntryStatus,
    Event,
    EventStore,
    Projection,
    Recorded,
    StoreUnavailable,
    StreamId,
    Subscription,
    connect,
)
from event_sourcery.storage.sql.dialects import IDLE_PING_SECONDS
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.testing.events import Deposited
from tests.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.postgres


def _drop_connections(postgres_url: str, application_name: str) -> None:
    """Terminate the store's backends and wait until they are gone."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")  # fresh statistics
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :n"
            ),
            {"n": application_name},
        ).scalar_one()
        live = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n")
        _wait_for(lambda: conn.execute(live, {"n": application_name}).scalar_one() == 0)
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


def test_a_connection_terminated_between_calls_is_replaced_unseen(postgres_url: str) -> None:
    url, name = _named(postgres_url)
    with connect(url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        _drop_connections(postgres_url, name)  # at once: not idle long enough for a ping
        assert [e.version for e in store.load_stream(stream)] == [1]
        store.append(Deposited(amount=2), stream_id=stream, expected_version=1)


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

        relay = _relay(relays, publish, stop, poll_interval=0.05)
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


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as started:
        yield started


@pytest.fixture
def server(cluster: PrivatePostgres) -> PrivatePostgres:
    """The private cluster, running (a test that failed while it was down left it so)."""
    if not cluster.running:
        cluster.start()
    return cluster


def test_calls_in_flight_when_the_server_stops_fail_as_unavailable_and_write_nothing(
    server: PrivatePostgres,
) -> None:
    url, name = _named(server.url)
    with connect(url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        failed: dict[str, BaseException] = {}
        locker = psycopg.connect(_dsn(server.url))
        try:  # the events table locked: a load and an append wait on it, in flight
            locker.execute("LOCK TABLE event_sourcery_events IN ACCESS EXCLUSIVE MODE")
            calls = [
                _call(failed, "read", lambda: store.load_stream(stream)),
                _call(
                    failed,
                    "write",
                    lambda: store.append(Deposited(amount=2), stream_id=stream, expected_version=1),
                ),
            ]
            _wait_for(lambda: _waiting_on_locks(server, name) == 2)
            server.stop()
        finally:
            locker.close()
        for call in calls:
            call.join(30)
        assert isinstance(failed["read"], StoreUnavailable)
        assert "broke during a read" in str(failed["read"])
        assert isinstance(failed["write"], StoreUnavailable)
        assert "broke during a write, before it committed" in str(failed["write"])
        for error in failed.values():
            assert isinstance(error, OperationalError)
            assert error.connection_invalidated
            assert "nothing was written" in str(error)
            assert "reconnects by itself" in str(error)
        with pytest.raises(StoreUnavailable, match=r"cannot reach .* Check that the server runs"):
            store.load_stream(stream)
        server.start()
        assert [e.version for e in store.load_stream(stream)] == [1]  # the append wrote nothing
        store.append(Deposited(amount=2), stream_id=stream, expected_version=1)
        assert [e.version for e in store.load_stream(stream)] == [1, 2]


@pytest.mark.parametrize(
    "pause",
    [0.0, IDLE_PING_SECONDS + 0.3],
    ids=["restart-quicker-than-the-idle-ping", "down-longer-than-the-idle-ping"],
)
def test_after_a_restart_the_dead_pooled_connections_fail_no_call(
    server: PrivatePostgres, pause: float
) -> None:
    with connect(server.url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        assert isinstance(store.storage, SqlStorage)
        engine = store.storage.transactions.engine
        pooled = [engine.raw_connection() for _ in range(3)]
        for connection in pooled:
            connection.close()  # three idle connections in the pool, to die with the server
        server.restart(pause)
        for _ in range(5):  # the server's goodbye on an idle one, or its age, gets it pinged
            assert [e.version for e in store.load_stream(stream)] == [1]


def test_an_outbox_relay_keeps_delivering_across_a_restart(
    server: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="event_sourcery.outbox")
    with connect(server.url, with_outbox=True) as store:
        stream = StreamId(uuid4(), category="restart")
        sent: list[int] = []
        stop = threading.Event()

        def publish(record: Recorded[Event]) -> None:
            sent.append(record.position)

        def delivered() -> int:
            entries = store.outbox.entries(stream=stream)
            return sum(entry.status is EntryStatus.DELIVERED for entry in entries)

        relay = _relay(store, publish, stop)
        relay.start()
        try:
            for version in range(3):
                store.append(Deposited(amount=version), stream_id=stream, expected_version=version)
            _wait_for(lambda: delivered() == 3)
            server.stop()
            _wait_for(lambda: "database failed" in caplog.text)
            assert relay.is_alive()
            server.start()
            for version in range(3, 6):
                store.append(Deposited(amount=version), stream_id=stream, expected_version=version)
            _wait_for(lambda: delivered() == 6)
            _wait_for(lambda: "database answers again" in caplog.text)
        finally:
            stop.set()
            relay.join(30)
        assert not relay.is_alive()
        positions = [e.position for e in store.load_stream(stream)]
        assert sorted(set(sent)) == positions  # each delivered; at least once, so maybe twice


def test_a_projection_and_a_subscription_keep_going_across_a_restart(
    server: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="event_sourcery.subscriptions")
    with connect(server.url) as store:
        category = f"restart-{uuid4().hex[:8]}"
        stream = StreamId(uuid4(), category=category)
        applied: list[int] = []
        received: list[int] = []
        stop = threading.Event()
        projection = Projection(
            store,
            category,
            lambda record, _session: applied.append(record.position),
            categories=[category],
        )
        subscription = Subscription(
            store, store.position, categories=[category], poll_interval=0.1, stop_event=stop
        )

        def follow() -> None:
            for batch in subscription:
                received.extend(record.position for record in batch)

        loops = [
            threading.Thread(
                target=projection.run, kwargs={"stop_event": stop, "poll_interval": 0.1}
            ),
            threading.Thread(target=follow),
        ]
        for loop in loops:
            loop.start()
        try:
            for version in range(3):
                store.append(Deposited(amount=version), stream_id=stream, expected_version=version)
            _wait_for(lambda: len(set(applied)) == 3 and len(received) == 3)
            server.stop()
            _wait_for(
                lambda: (
                    f"projection {category}: database failed" in caplog.text
                    and "subscription from position" in caplog.text
                )
            )
            assert all(loop.is_alive() for loop in loops)
            server.start()
            for version in range(3, 6):
                store.append(Deposited(amount=version), stream_id=stream, expected_version=version)
            _wait_for(lambda: len(set(applied)) == 6 and len(received) == 6)
            _wait_for(lambda: caplog.text.count("database answers again") == 2)
        finally:
            stop.set()
            for loop in loops:
                loop.join(30)
        assert not any(loop.is_alive() for loop in loops)
        positions = [e.position for e in store.load_stream(stream)]
        assert received == positions  # each once, in order
        assert sorted(set(applied)) == positions
        assert projection.position == positions[-1]


def test_a_relay_and_a_subscription_started_while_the_server_is_down_wait_for_it(
    server: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="event_sourcery")
    with connect(server.url, with_outbox=True) as store:
        category = f"late-{uuid4().hex[:8]}"
        stream = StreamId(uuid4(), category=category)
        store.append(Deposited(amount=0), stream_id=stream)
        sent: list[int] = []
        received: list[int] = []
        stop = threading.Event()

        def follow() -> None:  # built and listening while the server is down
            subscription = Subscription(
                store, 0, categories=[category], poll_interval=0.1, stop_event=stop
            )
            for batch in subscription:
                received.extend(record.position for record in batch)

        loops = [
            _relay(store, lambda record: sent.append(record.position), stop),
            threading.Thread(target=follow),
        ]
        server.stop()
        for loop in loops:
            loop.start()
        try:
            _wait_for(lambda: caplog.text.count("database failed") >= 2)
            assert all(loop.is_alive() for loop in loops)
            server.start()
            store.append(Deposited(amount=1), stream_id=stream, expected_version=1)
            positions = [e.position for e in store.load_stream(stream)]
            _wait_for(lambda: sorted(set(sent)) == positions and received == positions)
        finally:
            stop.set()
            for loop in loops:
                loop.join(30)
        assert not any(loop.is_alive() for loop in loops)
        assert "OutboxSchemaOutdated" not in caplog.text


def _relay(
    store: EventStore,
    publish: Callable[[Recorded[Event]], object],
    stop: threading.Event,
    poll_interval: float = 0.1,
) -> Thread:
    """A thread (not started) running ``store``'s outbox relay until ``stop`` is set."""
    return Thread(
        target=store.outbox.run,
        args=(publish,),
        kwargs={"poll_interval": poll_interval, "stop_event": stop, "handle_signals": False},
    )


def _call(failed: dict[str, BaseException], label: str, call: Callable[[], object]) -> Thread:
    def run() -> None:
        try:
            call()
        except Exception as error:  # the test looks at it
            failed[label] = error

    thread = Thread(target=run)
    thread.start()
    return thread


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _waiting_on_locks(server: PrivatePostgres, application_name: str) -> int:
    with psycopg.connect(_dsn(server.url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND wait_event_type = 'Lock'",
            (application_name,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
