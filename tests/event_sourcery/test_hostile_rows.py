"""Rows the store did not write (a corrupted or foreign database, changed with SQL): every
decoded read raises a typed error naming the row and saying what to do; the raw reads
still give the row exactly as stored, and reading changes nothing."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from event_sourcery import (
    Event,
    EventRegistry,
    EventStore,
    InvalidStreamId,
    RawEvent,
    SnapshotSkipped,
    StreamId,
    UndecodableEvent,
    UnknownEventType,
    UnsupportedSchemaVersion,
    connect,
)
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.storage.sql.transactions import EngineTransactions
from event_sourcery.stored_time import UnreadableTime
from tests.conftest import schema_of_its_own


class Paid(Event):
    __event_name__: ClassVar[str] = "hostile_rows.Paid"
    amount: int


class Balance(Event):
    __event_name__: ClassVar[str] = "hostile_rows.Balance"
    total: int


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventStore]:
    """One store per backend for the module; every test writes streams of its own and reads
    only around their positions."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'rows.db'}"
        with connect(url) as opened:
            yield opened
        return
    admin: Engine = request.getfixturevalue("postgres_engine")
    with schema_of_its_own(admin, "hostile_rows") as url, connect(url) as opened:
        yield opened


def _engine(store: EventStore) -> Engine:
    storage = store.storage
    assert isinstance(storage, SqlStorage)
    assert isinstance(storage.transactions, EngineTransactions)
    return storage.transactions.engine


def _corrupt(store: EventStore, table: str, where: str, column: str, value: str) -> None:
    """``UPDATE table SET column = value`` (a SQL literal) on the row ``where`` picks."""
    with _engine(store).begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = {value} WHERE {where}"))


def _written(store: EventStore) -> tuple[StreamId, RawEvent]:
    """A stream of three events; the middle one is the row the test corrupts."""
    stream = StreamId(name=f"hostile-{uuid4()}", category="rows")
    store.append(Paid(amount=1), Paid(amount=2), Paid(amount=3), stream_id=stream)
    return stream, store.load_stream_raw(stream)[1]


CORRUPTIONS = [
    # column, SQL literal, error, what the message says, backends whose column takes it
    ("data", "'{not json'", UndecodableEvent, "payload: Invalid JSON", {"sqlite"}),
    ("data", "'[1, 2]'", UndecodableEvent, "payload: Input should be an object", None),
    ("data", "'null'", UndecodableEvent, "payload: Input should be an object", None),
    ("data", """'{"amount": "x"}'""", UndecodableEvent, "amount: Input should be a valid", None),
    ("data", "'" + "[" * 300 + "]" * 300 + "'", UndecodableEvent, "recursion limit", None),
    ("context", "'{bad'", UndecodableEvent, "context: Invalid JSON", {"sqlite"}),
    ("context", "'[]'", UndecodableEvent, "context: Input should be an object", None),
    ("context", """'{"correlation_id": 5}'""", UndecodableEvent, "context.correlation_id", None),
    ("type", "'hostile_rows.NoSuchType'", UnknownEventType, "no event class", None),
    ("schema_version", "99", UnsupportedSchemaVersion, "schema version 99", None),
    ("schema_version", "0", UnsupportedSchemaVersion, "schema version 0", None),
    ("schema_version", "-3", UnsupportedSchemaVersion, "schema version -3", None),
    ("schema_version", "'abc'", UnsupportedSchemaVersion, "'abc' is not a version", {"sqlite"}),
]


def _backend(store: EventStore) -> str:
    return _engine(store).dialect.name.replace("postgresql", "postgres")


@pytest.mark.parametrize("case", CORRUPTIONS, ids=[f"{c[0]}={c[1][:20]}" for c in CORRUPTIONS])
def test_a_corrupted_row_fails_every_decoded_read_naming_itself_and_raw_reads_still_work(
    store: EventStore, case: tuple[str, str, type[Exception], str, set[str] | None]
) -> None:
    column, value, error, says, backends = case
    if backends is not None and _backend(store) not in backends:
        pytest.skip(f"{_backend(store)} cannot hold {column}={value} (its column type refuses)")
    stream, row = _written(store)
    _corrupt(store, "event_sourcery_events", f"position = {row.position}", column, value)
    [stored] = [raw for raw in store.load_stream_raw(stream) if raw.position == row.position]
    reads: dict[str, Callable[[], Any]] = {
        "load_stream": lambda: store.load_stream(stream),
        "load_stream from the row": lambda: store.load_stream(stream, start=2),
        "read_all": lambda: store.read_all(row.position - 2, 3),
        "read_page": lambda: store.read_page(row.position - 1, 1),
        "read_all_backwards": lambda: store.read_all_backwards(row.position + 1, 1),
        "decode(event_raw)": lambda: store.decode([store.event_raw(row.uuid)]),  # type: ignore[list-item]
    }
    for name, read in reads.items():
        with pytest.raises(error, match=says) as caught:
            read()
        message = str(caught.value)
        for part in (f"position {row.position}", str(stream), str(row.uuid), "raw"):
            assert part in message, f"{name}: {part!r} missing from {message!r}"
        assert caught.value.position == row.position  # type: ignore[attr-defined]
        assert caught.value.uuid == row.uuid  # type: ignore[attr-defined]
    # The events before it still load, the raw reads give the row as stored, unchanged.
    assert [e.event for e in store.load_stream(stream, stop=2)] == [Paid(amount=1)]
    assert store.event_raw(row.uuid) == stored
    assert store.read_all_raw(row.position - 1, 1) == [stored]
    assert store.load_stream_raw(stream)[1] == stored


def test_a_corrupted_row_read_through_an_upcaster_names_the_row(store: EventStore) -> None:
    if _backend(store) != "sqlite":
        pytest.skip("only SQLite's JSON column takes malformed JSON")
    stream, row = _written(store)
    _corrupt(store, "event_sourcery_events", f"position = {row.position}", "data", "'{oops'")

    class PaidV2(Event):
        __event_name__: ClassVar[str] = "hostile_rows.PaidV2"
        __schema_version__: ClassVar[int] = 2
        cents: int

    registry = EventRegistry()
    registry.add(PaidV2, "hostile_rows.Paid")
    registry.add_upcaster("hostile_rows.Paid", 1, lambda data: {"cents": data["amount"] * 100})
    reader = EventStore(store.storage, registry)
    with pytest.raises(UndecodableEvent, match="not valid JSON") as caught:
        reader.load_stream(stream)
    assert str(row.uuid) in str(caught.value)
    assert [e.event for e in reader.load_stream(stream, stop=2)] == [PaidV2(cents=100)]


def test_a_versioned_streams_event_without_a_version_is_read_as_stored(
    store: EventStore,
) -> None:
    stream, row = _written(store)
    _corrupt(store, "event_sourcery_events", f"position = {row.position}", "version", "NULL")
    loaded = store.load_stream(stream)  # where NULL sorts is the database's choice
    assert sorted(e.version or 0 for e in loaded) == [0, 1, 3]
    assert sorted(e.event.amount for e in loaded) == [1, 2, 3]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("data", "'[]'", "Input should be an object"),
        ("type", "'hostile_rows.Gone'", "no event class"),
        ("schema_version", "7", "schema version 7"),
    ],
)
def test_a_corrupted_snapshot_is_skipped_by_loads_and_named_by_snapshot_reads(
    store: EventStore, column: str, value: str, says: str
) -> None:
    stream, _ = _written(store)
    store.save_snapshot(stream, Balance(total=6), version=3)
    [snapshot] = store.snapshots_raw(stream)
    _corrupt(
        store, "event_sourcery_snapshots", f"uuid = '{_uuid_in(store, snapshot)}'", column, value
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = store.load_stream(stream)
    assert [e.event for e in loaded] == [Paid(amount=1), Paid(amount=2), Paid(amount=3)]
    [warning] = caught
    assert issubclass(warning.category, SnapshotSkipped)
    assert says in str(warning.message)
    with pytest.raises((UndecodableEvent, UnknownEventType), match=says) as error:
        store.snapshots(stream)
    assert "snapshot at position" in str(error.value)
    assert str(snapshot.uuid) in str(error.value)
    [raw] = store.snapshots_raw(stream)
    assert raw.uuid == snapshot.uuid


def _uuid_in(store: EventStore, raw: RawEvent) -> str:
    """The uuid as the backend's uuid column holds it (SQLite: 32 hex digits)."""
    return raw.uuid.hex if _backend(store) == "sqlite" else str(raw.uuid)


def test_postgresql_refuses_malformed_json_and_nul_itself(store: EventStore) -> None:
    if _backend(store) != "postgres":
        pytest.skip("SQLite's JSON column is text: it takes anything, and reads name the row")
    _, row = _written(store)
    for value in ("'{not json'", "'\"\\u0000\"'"):
        with pytest.raises(DBAPIError):
            _corrupt(store, "event_sourcery_events", f"position = {row.position}", "data", value)
    assert store.event_raw(row.uuid) == row


def test_a_stream_stored_with_a_name_now_too_long_still_reads_and_refuses_appends(
    store: EventStore,
) -> None:
    stream, _ = _written(store)
    long_name = "x" * 2_000  # an earlier version let it in; PostgreSQL compresses it
    _corrupt(store, "event_sourcery_streams", f"name = '{stream.name}'", "name", f"'{long_name}'")
    by_uuid = StreamId(stream.uuid, category=stream.category)
    loaded = store.load_stream(by_uuid)
    assert [e.stream_id.name for e in loaded] == [long_name] * 3
    assert long_name in [info.stream_id.name for info in store.streams(categories=["rows"])]
    assert store.read_all_raw(loaded[0].position - 1, 1)[0].stream_id.name == long_name
    with pytest.raises(InvalidStreamId, match="2000 bytes long in UTF-8, over 1024"):
        store.append(Paid(amount=4), stream_id=loaded[0].stream_id, expected_version=3)
    store.append(Paid(amount=4), stream_id=by_uuid, expected_version=3)
    assert len(store.load_stream(by_uuid)) == 4


@pytest.mark.parametrize("stored", ["'yesterday'", "''", "42", "'2026-13-45T99:00:00+00:00'"])
def test_a_stored_time_that_is_not_one_fails_decoded_reads_naming_the_row_and_raw_reads_keep_it(
    store: EventStore, stored: str
) -> None:
    if _backend(store) != "sqlite":
        pytest.skip("PostgreSQL's timestamptz column takes times only")
    stream, row = _written(store)
    _corrupt(store, "event_sourcery_events", f"position = {row.position}", "created_at", stored)
    for read in (
        lambda: store.load_stream(stream),
        lambda: store.read_all(row.position - 1, 1),
        lambda: store.decode([store.event_raw(row.uuid)]),  # type: ignore[list-item]
    ):
        with pytest.raises(UndecodableEvent, match="created_at: the stored time") as caught:
            read()
        message = str(caught.value)
        for part in (f"position {row.position}", str(stream), "version 2", str(row.uuid)):
            assert part in message
        assert "is not a time" in message
    [raw] = [r for r in store.load_stream_raw(stream) if r.position == row.position]
    assert isinstance(raw.created_at, UnreadableTime)
    assert raw.created_at.stored in (stored.strip("'"), int(stored) if stored.isdigit() else None)
    assert raw[:-1] == row[:-1]  # the rest of the row as stored
    assert store.read_all_raw(row.position - 1, 1) == [raw]
    assert store.event_raw(row.uuid) == raw
    [info] = [i for i in store.streams(categories=["rows"]) if i.stream_id == stream]
    assert info.events == 3
    assert [e.event for e in store.load_stream(stream, stop=2)] == [Paid(amount=1)]


def test_a_stored_time_without_an_offset_is_read_as_utc(store: EventStore) -> None:
    if _backend(store) != "sqlite":
        pytest.skip("PostgreSQL's timestamptz column always has an offset")
    stream, row = _written(store)
    naive = "'2026-03-01 09:30:00'"  # SQLite's CURRENT_TIMESTAMP
    _corrupt(store, "event_sourcery_events", f"position = {row.position}", "created_at", naive)
    loaded = store.load_stream(stream)[1]
    assert loaded.created_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


FOREIGN_NAMES = [
    # SQL literal, the name read back, backends whose text column takes it
    ("''", "", None),
    ("'a' || char(0) || 'b'", "a\x00b", {"sqlite"}),
    ("'" + "y" * 3000 + "'", "y" * 3000, None),
]


@pytest.mark.parametrize("case", FOREIGN_NAMES, ids=["empty", "nul", "3000-chars"])
def test_a_stream_row_with_a_name_no_caller_may_pass_still_lists_loads_and_reads(
    store: EventStore, case: tuple[str, str, set[str] | None]
) -> None:
    literal, name, backends = case
    if backends is not None and _backend(store) not in backends:
        pytest.skip(f"{_backend(store)} cannot hold the name {literal[:20]}")
    stream, row = _written(store)
    _corrupt(store, "event_sourcery_streams", f"name = '{stream.name}'", "name", literal)
    listed = [i.stream_id for i in store.streams(categories=["rows"]) if i.stream_id == stream]
    assert [s.name for s in listed] == [name]
    assert [s.name for s in (r.stream_id for r in store.read_all_raw(row.position - 2, 3))] == [
        name
    ] * 3
    by = listed[0] if len(name) < 1024 else StreamId(stream.uuid, category="rows")  # see above
    assert [e.event for e in store.load_stream(by)] == [Paid(amount=a) for a in (1, 2, 3)]
    assert store.read_all(row.position - 1, 1)[0].stream_id.name == name
    found = store.event_raw(row.uuid)
    assert found is not None
    assert found.stream_id.name == name
    assert pickle.loads(pickle.dumps(found.stream_id)).name == name
