"""The ways in: connect(url) with its own engine, memory://, and clear errors for bad URLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from event_sourcery import (
    EntryStatus,
    EventStore,
    InMemoryStorage,
    InvalidSetting,
    OutboxSchemaOutdated,
    SqlStorage,
    StoreUnavailable,
    UnsupportedURL,
    connect,
)
from event_sourcery.testing.events import Deposited


def test_memory_url_gives_the_in_memory_backend() -> None:
    store = connect("memory://")
    assert isinstance(store.storage, InMemoryStorage)
    stream = uuid4()
    store.append(Deposited(amount=1), stream_id=stream)
    assert [e.version for e in store.load_stream(stream)] == [1]


def test_a_sqlite_file_is_created_in_wal_mode_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    stream = uuid4()
    connect(f"sqlite:///{path}").append(Deposited(amount=1), stream_id=stream)
    reopened = connect(f"sqlite:///{path}")
    assert [e.event for e in reopened.load_stream(stream)] == [Deposited(amount=1)]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert {"event_sourcery_streams", "event_sourcery_events"} <= tables
    assert {
        "ix_event_sourcery_events_type",
        "ix_event_sourcery_events_created_at",
    } <= tables


def test_each_append_commits_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    stream = uuid4()
    connect(f"sqlite:///{path}").append(Deposited(amount=1), stream_id=stream)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM event_sourcery_events").fetchone() == (1,)


def test_an_in_memory_sqlite_database_is_shared_by_threads() -> None:
    import threading

    store = connect("sqlite://")
    stream = uuid4()
    thread = threading.Thread(
        target=store.append, args=(Deposited(amount=1),), kwargs={"stream_id": stream}
    )
    thread.start()
    thread.join()
    assert isinstance(store.storage, SqlStorage)
    assert [e.version for e in store.load_stream(stream)] == [1]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "Could not parse"),
        ("mysql://root@localhost/test", "'mysql' is not a supported database"),
        ("oracle+cx://x", "'oracle' is not a supported database"),
    ],
)
def test_bad_urls_raise_one_clear_error(url: str, reason: str) -> None:
    with pytest.raises(UnsupportedURL, match=reason) as caught:
        connect(url)
    assert "memory://" in str(caught.value)


@pytest.mark.parametrize("durability", ["OFF", "FULL; DROP TABLE x", "", None, 2])
def test_an_unknown_sqlite_durability_is_refused_before_anything_is_opened(
    tmp_path: Path, durability: object
) -> None:
    path = tmp_path / "e.db"
    with pytest.raises(InvalidSetting, match=r"sqlite_synchronous=.* use 'FULL'"):
        connect(f"sqlite:///{path}", sqlite_synchronous=durability)  # type: ignore[arg-type]
    assert not path.exists()


@pytest.mark.parametrize("url", ["memory://", "postgresql+psycopg://nobody@127.0.0.1:9/x"])
def test_an_unknown_sqlite_durability_is_refused_whatever_the_url(url: str) -> None:
    with pytest.raises(InvalidSetting, match="sqlite_synchronous='OF'"):
        connect(url, sqlite_synchronous="OF")


def test_an_engine_tuned_with_an_unknown_durability_is_refused(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from event_sourcery.storage.sql.dialects import tune_sqlite_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'e.db'}")
    with pytest.raises(InvalidSetting, match="synchronous='normal; PRAGMA x'"):
        tune_sqlite_engine(engine, "normal; PRAGMA x")
    engine.dispose()


def _journal_and_synchronous(store: EventStore) -> tuple[object, ...]:
    assert isinstance(store.storage, SqlStorage)
    with store.storage.transactions.read() as conn:  # type: ignore[attr-defined]
        cursor = conn.cursor()
        modes = (
            cursor.execute("PRAGMA journal_mode").fetchone()[0],
            cursor.execute("PRAGMA synchronous").fetchone()[0],
        )
        cursor.close()
    return modes


@pytest.mark.parametrize(
    ("durability", "expected"),
    [(None, ("wal", 2)), ("FULL", ("wal", 2)), ("NORMAL", ("wal", 1)), ("normal", ("wal", 1))],
)
def test_sqlite_connections_run_in_wal_with_full_durability_unless_relaxed_to_normal(
    tmp_path: Path, durability: str | None, expected: tuple[str, int]
) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    store = connect(url) if durability is None else connect(url, sqlite_synchronous=durability)
    with store:
        store.append(Deposited(amount=1), stream_id=uuid4())
        assert _journal_and_synchronous(store) == expected


def test_an_unreachable_server_raises_one_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="cannot reach") as caught:
        connect("postgresql+psycopg://nobody:secret@127.0.0.1:9/nowhere?connect_timeout=2")
    assert "secret" not in str(caught.value)
    assert "127.0.0.1:9" in str(caught.value)


@pytest.mark.postgres
def test_a_postgresql_url_without_a_driver_uses_psycopg(postgres_url: str) -> None:
    bare = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with connect(bare) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        assert [e.version for e in store.load_stream(stream)] == [1]


def test_threads_sharing_an_in_memory_sqlite_store_lose_nothing() -> None:
    import threading

    from event_sourcery import ANY

    store = connect("sqlite://")
    stream, writers, each = uuid4(), 4, 25
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(each):
                store.append(*[Deposited(amount=1)] * 2, stream_id=stream, expected_version=ANY)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = [e.version for e in store.load_stream(stream)]
    assert versions == list(range(1, writers * each * 2 + 1))


def _connect_and_append(url: str) -> None:
    connect(url).append(Deposited(amount=1), stream_id=uuid4())


def test_processes_opening_a_fresh_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    import multiprocessing

    files, opens = 5, 8  # each file opened by 4 processes at once, 8 times in all
    urls = [f"sqlite:///{tmp_path / f'fresh-{n}.db'}" for n in range(files)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        for url in urls:
            pool.map_async(_connect_and_append, [url] * opens).get(timeout=120)
    for n in range(files):
        with sqlite3.connect(tmp_path / f"fresh-{n}.db") as raw:
            assert raw.execute("SELECT count(*) FROM event_sourcery_events").fetchone() == (opens,)
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


class _BusyCursor:
    """Fails ``PRAGMA journal_mode=WAL`` with ``error`` the first ``times`` times."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error, self.times, self.calls = error, times, 0

    def execute(self, statement: str) -> None:
        assert statement == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.calls <= self.times:
            raise self.error


def test_switching_to_wal_is_tried_again_while_sqlite_refuses_it_as_busy() -> None:
    from event_sourcery.storage.sql.dialects import switch_to_wal

    cursor = _BusyCursor(sqlite3.OperationalError("database is locked"), times=3)
    switch_to_wal(cursor, busy=sqlite3.OperationalError)
    assert cursor.calls == 4


def test_switching_to_wal_gives_up_on_other_errors_at_once_and_on_busy_in_time() -> None:
    from event_sourcery.storage.sql.dialects import switch_to_wal

    other = _BusyCursor(sqlite3.OperationalError("disk I/O error"), times=1)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        switch_to_wal(other, busy=sqlite3.OperationalError)
    assert other.calls == 1
    stuck = _BusyCursor(sqlite3.OperationalError("database is locked"), times=10**9)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        switch_to_wal(stuck, busy=sqlite3.OperationalError, within=0.05)
    assert stuck.calls >= 2


def test_tables_from_before_schema_versions_are_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = connect(f"sqlite:///{path}")
    stream = uuid4()
    store.append(Deposited(amount=1), stream_id=stream)
    store.close()
    with sqlite3.connect(path) as db:  # as the first release made the table
        db.execute("ALTER TABLE event_sourcery_events DROP COLUMN schema_version")
    reopened = connect(f"sqlite:///{path}")
    assert [r.schema_version for r in reopened.load_stream_raw(stream)] == [1]
    reopened.append(Deposited(amount=2), stream_id=stream, expected_version=1)
    assert [e.event for e in reopened.load_stream(stream)] == [
        Deposited(amount=1),
        Deposited(amount=2),
    ]
    reopened.close()


def test_outbox_tables_from_before_deliveries_were_kept_on_entries_are_brought_up_to_date(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old-outbox.db"
    store = connect(f"sqlite:///{path}", with_outbox=True)
    store.append(Deposited(amount=1), stream_id=uuid4())
    store.close()
    with sqlite3.connect(path) as db:  # as the outbox's first version made the table
        for column in ("delivery_number", "delivered_by", "delivery_started_at"):
            db.execute(f"ALTER TABLE event_sourcery_outbox DROP COLUMN {column}")
    reopened = connect(f"sqlite:///{path}", with_outbox=True)
    assert reopened.outbox.run_once(lambda recorded: None).delivered == 1
    [attempt] = reopened.outbox.attempts()
    assert (attempt.number, attempt.relay_id) == (1, reopened.outbox.relay_id)
    reopened.close()


def test_a_relay_on_outbox_tables_left_unmigrated_refuses_before_claiming(tmp_path: Path) -> None:
    path = tmp_path / "unmigrated.db"
    store = connect(f"sqlite:///{path}", with_outbox=True)
    store.append(Deposited(amount=1), stream_id=uuid4())
    store.close()
    with sqlite3.connect(path) as db:  # as the outbox's first version made the table
        db.execute("ALTER TABLE event_sourcery_outbox DROP COLUMN delivered_by")
    unmigrated = connect(f"sqlite:///{path}", with_outbox=True, create_tables=False)
    published: list[object] = []
    with pytest.raises(OutboxSchemaOutdated, match="delivered_by"):
        unmigrated.outbox.run_once(published.append)
    assert published == []
    [entry] = unmigrated.outbox.entries()
    assert (entry.status, entry.attempts, entry.leased_by) == (EntryStatus.PENDING, 0, None)
    unmigrated.close()


@pytest.mark.postgres
def test_postgresql_outbox_tables_from_before_are_brought_up_to_date(
    postgres_url: str, postgres_engine: Engine
) -> None:
    schema = f"es_upgrade_{uuid4().hex[:8]}"  # a schema of its own: its columns get dropped
    with postgres_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        with connect(url, with_outbox=True) as store:
            store.append(Deposited(amount=1), stream_id=uuid4())
        with postgres_engine.begin() as conn:
            conn.execute(
                text(
                    f'ALTER TABLE "{schema}".event_sourcery_outbox DROP COLUMN delivery_number, '
                    "DROP COLUMN delivered_by, DROP COLUMN delivery_started_at"
                )
            )
        with connect(url, with_outbox=True) as reopened:
            assert reopened.outbox.run_once(lambda recorded: None).delivered == 1
            [attempt] = reopened.outbox.attempts()
            assert (attempt.number, attempt.relay_id) == (1, reopened.outbox.relay_id)
            [entry] = reopened.outbox.entries()
            assert attempt.finished_at == entry.delivered_at
            assert attempt.started_at <= entry.delivered_at
    finally:
        with postgres_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.mark.postgres
def test_the_position_of_a_database_without_tables_fails_as_sqlalchemys_error(
    postgres_engine: Engine,
) -> None:
    from tests.conftest import schema_of_its_own

    with schema_of_its_own(postgres_engine, "no_tables") as url:
        store = connect(url, create_tables=False)
        try:
            with pytest.raises(ProgrammingError, match="event_sourcery_events"):
                store.position  # noqa: B018
        finally:
            store.close()
