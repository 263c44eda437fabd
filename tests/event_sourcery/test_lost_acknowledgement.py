"""An append whose COMMIT the server made but whose reply never reached the caller (a lost
acknowledgement) on PostgreSQL: the call fails saying the outcome is unknown; the same
append retried with the same envelopes succeeds and stores nothing twice; a retry that
carries one of those uuids with another payload raises DuplicateEventId.

How the acknowledgement is lost, on a private cluster of this module's own (the shared
server is never reconfigured): ``synchronous_standby_names = 'nobody'`` makes every COMMIT
(appends run with the default ``synchronous_commit = on``) wait for a standby that never
comes, after the commit is already durable on the server; another session finds the
writer waiting (``pg_stat_activity.wait_event = 'SyncRep'``) and terminates it. The server
keeps the transaction; the writer's connection drops before the reply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from uuid import UUID, uuid4

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from event_sourcery import (
    ANY,
    DuplicateEventId,
    Envelope,
    EventStore,
    StoreUnavailable,
    connect,
)
from event_sourcery.testing.events import Deposited
from event_sourcery.versioning import Versioning
from tests.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as started:
        yield started


@pytest.fixture
def named_store(cluster: PrivatePostgres) -> Iterator[tuple[EventStore, str]]:
    """A store whose connections carry an application name of their own (its tables are
    made here, before any commit has to wait for a standby)."""
    name = f"es-ack-{uuid4().hex[:8]}"
    url = make_url(cluster.url).update_query_dict({"application_name": name})
    with connect(url.render_as_string(hide_password=False)) as store:
        yield store, name


@pytest.mark.parametrize("expected_version", [0, 1, ANY], ids=["new-stream", "at-version-1", "ANY"])
def test_an_append_whose_commit_reply_was_lost_is_retried_safely(
    cluster: PrivatePostgres,
    named_store: tuple[EventStore, str],
    expected_version: int | Versioning,
) -> None:
    store, name = named_store
    stream = uuid4()
    before: list[UUID] = []
    if expected_version != 0:
        first = Envelope(event=Deposited(amount=1))
        store.append(first, stream_id=stream)
        before = [first.uuid]
    batch = [Envelope(event=Deposited(amount=2)), Envelope(event=Deposited(amount=3))]

    def append() -> None:
        store.append(*batch, stream_id=stream, expected_version=expected_version)

    with _commits_wait_for_a_standby(cluster):
        failed = _call_in_thread(append)
        _terminate(cluster, _pid_waiting_for_sync_rep(cluster, name))
        error = failed()

    assert isinstance(error, StoreUnavailable)
    assert isinstance(error, OperationalError)  # as SQLAlchemy's error was, before
    assert error.connection_invalidated
    assert getattr(error, "outcome_unknown", None) is True
    assert "broke while committing" in str(error)
    assert "the outcome is unknown" in str(error)
    assert "If it was an append, retrying it is safe with the same event uuids" in str(error)
    stored = [raw.uuid for raw in store.load_stream_raw(stream)]
    assert stored == [*before, *(e.uuid for e in batch)]  # the server did commit

    append()  # the retry: the same envelopes, the same expected version

    assert [raw.uuid for raw in store.load_stream_raw(stream)] == stored  # each event once
    changed = Envelope(event=Deposited(amount=99), uuid=batch[0].uuid)
    with pytest.raises(DuplicateEventId, match=str(batch[0].uuid)):
        store.append(changed, batch[1], stream_id=stream, expected_version=expected_version)
    assert [raw.uuid for raw in store.load_stream_raw(stream)] == stored


@contextmanager
def _commits_wait_for_a_standby(cluster: PrivatePostgres) -> Iterator[None]:
    """Every COMMIT waits for a synchronous standby named 'nobody' (none will come),
    until the block ends; then waiting commits go on and the setting is back to none."""
    _set_standbys(cluster, "'nobody'", "nobody")
    try:
        yield
    finally:
        _set_standbys(cluster, "DEFAULT", "")


def _set_standbys(cluster: PrivatePostgres, value: str, shown: str) -> None:
    with psycopg.connect(_dsn(cluster), autocommit=True) as admin:
        admin.execute(f"ALTER SYSTEM SET synchronous_standby_names = {value}")
        admin.execute("SELECT pg_reload_conf()")

    def applied() -> bool:  # a new session starts with the postmaster's reloaded settings
        with psycopg.connect(_dsn(cluster), autocommit=True) as probe:
            row = probe.execute("SHOW synchronous_standby_names").fetchone()
        return row is not None and row[0] == shown

    _wait_for(applied)
    # Whether commits wait is the checkpointer's to say, once it has read the new setting;
    # it reads pending settings before it runs a checkpoint, so this one makes it current.
    with psycopg.connect(_dsn(cluster), autocommit=True) as admin:
        admin.execute("CHECKPOINT")


def _pid_waiting_for_sync_rep(cluster: PrivatePostgres, application_name: str) -> int:
    found: list[int] = []

    def waiting() -> bool:
        with psycopg.connect(_dsn(cluster), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE application_name = %s AND wait_event = 'SyncRep'",
                (application_name,),
            ).fetchall()
        found[:] = [row[0] for row in rows]
        return len(found) == 1

    _wait_for(waiting)
    return found[0]


def _terminate(cluster: PrivatePostgres, pid: int) -> None:
    with psycopg.connect(_dsn(cluster), autocommit=True) as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
    assert row == (True,)


def _call_in_thread(call: Callable[[], object]) -> Callable[[], BaseException]:
    """Start ``call`` in a thread; the returned function waits for it and gives back the
    exception it raised (failing the test if it raised none)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except Exception as error:  # the test looks at it
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def outcome() -> BaseException:
        thread.join(30)
        assert not thread.is_alive(), "the append is still waiting"
        assert raised, "the append succeeded although its connection was terminated"
        return raised[0]

    return outcome


def _dsn(cluster: PrivatePostgres) -> str:
    url = make_url(cluster.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
