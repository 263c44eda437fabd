"""SqlStorage: the storage protocol on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    EventStoreError,
    InvalidEnvelope,
    InvalidSnapshot,
    StoreBusy,
    StreamNameConflict,
    VersioningMismatch,
)
from event_sourcery.records import RawEvent, StreamInfo, utc_now
from event_sourcery.storage.checkpoints import CheckpointUnit
from event_sourcery.storage.protocol import NewEvent, OnStored
from event_sourcery.storage.reading import Horizon, ReadFilter, Waiter
from event_sourcery.storage.sql import catalog, checkpointing
from event_sourcery.storage.sql.driver import ValueCodec, as_sqlalchemy_error
from event_sourcery.storage.sql.global_order import (
    NO_LIMIT,
    GapGuard,
    event_statement,
    event_types_statement,
    raws_across_streams,
    read_all_statement,
    read_filter_params,
    sqlite_horizon,
)
from event_sourcery.storage.sql.listening import waiter_for
from event_sourcery.storage.sql.outbox import SqlOutbox
from event_sourcery.storage.sql.statements import Statements, statements_for
from event_sourcery.storage.sql.transactions import EngineTransactions, Transactions
from event_sourcery.streams import StreamId
from event_sourcery.versioning import MAX_VERSION, ExpectedVersion


class _Refused(Exception):
    """The stream row did not take the claim; ``_explain`` says why, after the fact."""


class SqlStorage:
    """Streams and events in two tables; concurrency is decided on the stream row.

    An append claims its versions with one statement on the stream row (INSERT for a new
    stream, UPDATE ... WHERE version = expected, or an upsert for ANY), which also locks it
    against other writers until commit, then writes its events with one executemany; the
    unique (stream, version) index backs the claim up.
    """

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions
        self._gap_guard = GapGuard()

    def append(
        self,
        stream_id: StreamId,
        expected: ExpectedVersion,
        events: Sequence[NewEvent],
        on_stored: OnStored | None = None,
    ) -> None:
        try:
            with self.transactions.write() as conn:
                stream_pk, first = self._claim(conn, stream_id, expected, len(events))
                try:
                    self._insert_events(conn, stream_id, stream_pk, first, events)
                except BaseException:
                    if not self.transactions.atomic_writes:
                        self._undo_claim(conn, stream_pk, first)
                    raise
                try:
                    if any(new.outbox for new in events):
                        self._insert_outbox_entries(conn, stream_id, events)
                    if on_stored is not None:
                        self._tell(conn, stream_id, events, on_stored)
                except BaseException:
                    if not self.transactions.atomic_writes:
                        self._undo_events(conn, stream_pk, first, events)
                    raise
        except _Refused:
            with self.transactions.read() as conn:
                raise self._explain(conn, stream_id, expected) from None
        except DataError as error:
            raise InvalidEnvelope(f"the database refused a value: {_first_line(error)}") from None
        except OperationalError as error:
            if "database is locked" not in str(error.orig):
                raise
            raise StoreBusy(stream_id, _first_line(error)) from None

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        with self.transactions.read() as conn:
            return self._load(conn, stream_id, start, stop)

    def _load(
        self, conn: DBAPIConnection, stream_id: StreamId, start: int | None, stop: int | None
    ) -> list[RawEvent]:
        sql = self._kit.sql
        params = {**self._stream_params(stream_id), "p_start": start, "p_stop": stop}
        if start is None:
            query = sql.load if stop is None else sql.load_until
        else:
            query = sql.load_from if stop is None else sql.load_range
        return self._raw_events(stream_id, query.run(conn, params))

    def save_snapshot(self, stream_id: StreamId, version: int, snapshot: NewEvent) -> None:
        sql, codec = self._kit.sql, self._kit.codec
        with self.transactions.write() as conn:
            # Lock the stream row as an append does, so that a delete in flight either
            # finishes first (and the stream is gone) or waits for the snapshot.
            if not sql.lock_stream.run(conn, self._stream_params(stream_id)):
                raise InvalidSnapshot.unreached(stream_id, version, False, None)
            found = sql.event_at.run(conn, {**self._stream_params(stream_id), "p_version": version})
            if not found:
                [(_, _, current)] = sql.explain.run(
                    conn, {**self._stream_params(stream_id), "p_name": None}
                )
                raise InvalidSnapshot.unreached(stream_id, version, True, current)
            [(stream_pk, position)] = found
            row = (
                codec.uuid_in(snapshot.uuid),
                stream_pk,
                version,
                position,
                snapshot.type,
                snapshot.schema_version,
                snapshot.data_json,
                codec.time_in(snapshot.created_at),
            )
            sql.insert_snapshot.run_rows(conn, [row])

    def snapshots(self, stream_id: StreamId | None) -> list[RawEvent]:
        if stream_id is None:
            return catalog.every_snapshot(self.transactions)
        with self.transactions.read() as conn:
            rows = self._kit.sql.snapshots.run(conn, self._stream_params(stream_id))
        return self._raw_events(stream_id, rows)

    def streams(self, categories: tuple[str, ...] | None, limit: int | None) -> list[StreamInfo]:
        return catalog.list_streams(self.transactions, categories, limit)

    def load_from_snapshot(
        self, stream_id: StreamId, start: int | None, stop: int | None
    ) -> tuple[RawEvent | None, list[RawEvent]]:
        sql = self._kit.sql
        params = {
            **self._stream_params(stream_id),
            "p_first": start or 0,
            "p_last": MAX_VERSION if stop is None else stop - 1,
            "p_after": (start or 1) - 1,
        }
        whole = start is None and stop is None
        query = sql.load_latest if whole else sql.load_latest_range
        with self.transactions.read() as conn:
            found = query.run(conn, params)
        raws = self._raw_events(stream_id, found)
        if found and found[0][-1]:  # is_snapshot
            return raws[0], raws[1:]
        return None, raws

    def delete(self, stream_id: StreamId) -> None:
        sql = self._kit.sql
        with self.transactions.write() as conn:
            # Lock the stream row first, so that an append in flight either finishes before
            # the delete or finds the stream gone (never half-deleted).
            locked = sql.lock_stream.run(conn, self._stream_params(stream_id))
            if locked:
                sql.delete_snapshots.run(conn, {"p_id": locked[0][0]})
                sql.delete_events.run(conn, {"p_id": locked[0][0]})
                sql.delete_stream.run(conn, {"p_id": locked[0][0]})

    def read_all(
        self, after: int, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        if limit == 0:
            return [], after
        with self.transactions.read() as conn:
            safe = self._horizon(conn).position
            if safe <= after:
                return [], safe
            return self._window(conn, after, safe, limit, read, descending=False), safe

    def read_all_backwards(
        self, before: int | None, limit: int | None, read: ReadFilter
    ) -> tuple[list[RawEvent], int]:
        if limit == 0:
            return [], self.horizon().position
        with self.transactions.read() as conn:
            safe = self._horizon(conn).position
            top = safe if before is None else min(safe, before - 1)
            if top <= 0:
                return [], safe
            return self._window(conn, 0, top, limit, read, descending=True), safe

    def _window(
        self,
        conn: DBAPIConnection,
        after: int,
        upto: int,
        limit: int | None,
        read: ReadFilter,
        *,
        descending: bool,
    ) -> list[RawEvent]:
        """The events with ``after < position <= upto`` that ``read`` lets through, at
        most ``limit``, oldest first (``descending``: newest first)."""
        codec = self._kit.codec
        query = read_all_statement(
            self.transactions.dialect,
            read.types is not None,
            read.categories is not None,
            read.since is not None,
            read.until is not None,
            descending=descending,
        )
        params = read_filter_params(after, upto, limit or NO_LIMIT, read, codec.time_in)
        return raws_across_streams(query.run(conn, params), codec)

    def event(self, uuid: UUID) -> RawEvent | None:
        codec = self._kit.codec
        with self.transactions.read() as conn:
            rows = event_statement(self.transactions.dialect).run(
                conn, {"p_uuid": codec.uuid_in(uuid)}
            )
        return raws_across_streams(rows, codec)[0] if rows else None

    def event_types(self) -> list[str]:
        with self.transactions.read() as conn:
            rows = event_types_statement(self.transactions.dialect).run(conn, {})
        return [row[0] for row in rows]

    def horizon(self) -> Horizon:
        dialect = self.transactions.dialect
        with self.transactions.read() as conn:
            try:
                return self._horizon(conn)
            except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy's, like every read's
                raise as_sqlalchemy_error(dialect, error, "horizon", connection=conn) from error

    def _horizon(self, conn: DBAPIConnection) -> Horizon:
        if self.transactions.dialect.name == "postgresql":
            return self._gap_guard.horizon(conn)
        return sqlite_horizon(conn)

    def checkpointed(self, name: str) -> AbstractContextManager[CheckpointUnit]:
        return checkpointing.checkpointed(self.transactions.engine, name)

    def checkpoint(self, name: str) -> int:
        return checkpointing.checkpoint(self.transactions.engine, name)

    def waiter(self, poll_interval: float) -> Waiter:
        return waiter_for(self.transactions.engine, poll_interval)

    def outbox(self) -> SqlOutbox:
        return self._outbox

    @cached_property
    def _outbox(self) -> SqlOutbox:
        # Relays commit their own transactions: on a Session's store, on its engine.
        transactions = self.transactions
        if not isinstance(transactions, EngineTransactions):
            transactions = EngineTransactions(transactions.engine)
        return SqlOutbox(transactions)

    def close(self) -> None:
        self.transactions.close()

    def _claim(
        self, conn: DBAPIConnection, stream_id: StreamId, expected: ExpectedVersion, count: int
    ) -> tuple[int, int | None]:
        """Take versions for ``count`` events: (stream row id, first version or None)."""
        sql = self._kit.sql
        params = {
            **self._stream_params(stream_id),
            "p_name": stream_id.name,
            "p_count": count,
            "p_expected": expected.exact,
        }
        if expected.exact is not None:
            claim = sql.advance_stream if expected.exact > 0 else sql.create_stream
            rows = claim.run(conn, params)
            if not rows:
                raise _Refused
            return rows[0][0], expected.exact + 1
        statement = sql.append_any if expected.versioned else sql.touch_versionless
        try:
            [(stream_pk, version, *_)] = statement.run(conn, params)
        except IntegrityError:  # the name belongs to another stream
            raise _Refused from None
        if (version is None) == expected.versioned:
            raise VersioningMismatch(stream_id, version is not None)
        return stream_pk, None if version is None else version - count + 1

    def _insert_events(
        self,
        conn: DBAPIConnection,
        stream_id: StreamId,
        stream_pk: int,
        first: int | None,
        new_events: Sequence[NewEvent],
    ) -> None:
        codec = self._kit.codec
        uuid_in, time_in = codec.uuid_in, codec.time_in
        # Bare events of one append share one timestamp (all in UTC): convert it once.
        stored_time = {stamp: time_in(stamp) for stamp in {new.created_at for new in new_events}}
        count = len(new_events)
        versions = range(first, first + count) if first is not None else [None] * count
        rows = [
            (
                uuid_in(new.uuid),
                stream_pk,
                version,
                new.type,
                new.schema_version,
                new.data_json,
                new.context_json,
                stored_time[new.created_at],
            )
            for new, version in zip(new_events, versions, strict=True)
        ]
        if not self.transactions.atomic_writes:
            self._refuse_stored_uuids(conn, stream_id, [row[0] for row in rows])
        try:
            self._kit.sql.insert_events.run_rows(conn, rows)
        except IntegrityError as error:
            raise DuplicateEventId(stream_id, _first_line(error)) from None

    def _tell(
        self,
        conn: DBAPIConnection,
        stream_id: StreamId,
        events: Sequence[NewEvent],
        on_stored: OnStored,
    ) -> None:
        """Hand the events as stored to ``on_stored`` (if it raises, the caller takes the
        append back)."""
        sql, codec = self._kit.sql, self._kit.codec
        uuids = json.dumps([codec.uuid_in(new.uuid) for new in events])
        stored = {
            codec.uuid_out(uuid): (position, version)
            for uuid, position, version in sql.stored_places.run(conn, {"p_uuids": uuids})
        }
        raws = [
            RawEvent(
                new.uuid,
                stream_id,
                stored[new.uuid][1],
                stored[new.uuid][0],
                new.type,
                new.schema_version,
                new.data_json,
                new.context_json,
                new.created_at,
            )
            for new in events
        ]
        on_stored(raws)

    def _insert_outbox_entries(
        self, conn: DBAPIConnection, stream_id: StreamId, events: Sequence[NewEvent]
    ) -> None:
        uuid_in = self._kit.codec.uuid_in
        uuids = json.dumps([uuid_in(new.uuid) for new in events if new.outbox])
        self.outbox().insert_entries(conn, self._stream_params(stream_id), uuids, utc_now())

    def _undo_events(
        self,
        conn: DBAPIConnection,
        stream_pk: int,
        first: int | None,
        events: Sequence[NewEvent],
    ) -> None:
        """Take an append back inside the caller's transaction (SQLite, no savepoint): its
        outbox entries, its events, then its claim."""
        uuids = json.dumps([self._kit.codec.uuid_in(new.uuid) for new in events])
        self.outbox().delete_entries(conn, uuids)
        self._kit.sql.delete_by_uuids.run(conn, {"p_uuids": uuids})
        self._undo_claim(conn, stream_pk, first)

    def _refuse_stored_uuids(
        self, conn: DBAPIConnection, stream_id: StreamId, uuids: list[Any]
    ) -> None:
        """Without an atomic write, a failed executemany would leave the rows before the
        failure behind, so look first. Only SQLite writes without a savepoint, and there the
        claim holds the write lock, so no other writer can slip a uuid in between."""
        taken = self._kit.sql.uuids_taken.run(conn, {"p_uuids": json.dumps(uuids)})
        if taken:
            uuid = self._kit.codec.uuid_out(taken[0][0])
            raise DuplicateEventId(stream_id, f"uuid {uuid} is already stored")

    def _undo_claim(self, conn: DBAPIConnection, stream_pk: int, first: int | None) -> None:
        """Take a claim back inside the caller's transaction: the stream's version goes back,
        and a stream the claim created (so without events) goes away."""
        sql = self._kit.sql
        if first is not None and first > 1:
            sql.undo_advance.run(conn, {"p_id": stream_pk, "p_version": first - 1})
        else:
            sql.undo_create.run(conn, {"p_id": stream_pk})

    def _explain(
        self, conn: DBAPIConnection, stream_id: StreamId, expected: ExpectedVersion
    ) -> EventStoreError:
        """Why the stream row refused a claim: read only on this failure path."""
        params = {**self._stream_params(stream_id), "p_name": stream_id.name}
        uuid_out = self._kit.codec.uuid_out
        rows = [
            (uuid_out(u), name, version)
            for u, name, version in self._kit.sql.explain.run(conn, params)
        ]
        own = next((r for r in rows if r[0] == stream_id.uuid), None)
        if own is None:
            other = next((r for r in rows if r[0] != stream_id.uuid), None)
            if other is not None:
                owner = StreamId.stored(other[0], other[1], stream_id.category)
                return StreamNameConflict(stream_id, owner)
            return ConcurrentStreamWriteError(stream_id, expected.exact or 0, 0)
        version = own[2]
        if (version is None) == expected.versioned:
            return VersioningMismatch(stream_id, version is not None)
        return ConcurrentStreamWriteError(stream_id, expected.exact or 0, version)

    def _raw_events(self, stream_id: StreamId, rows: list[Any]) -> list[RawEvent]:
        """Rows of the load and snapshot queries (same columns) as RawEvents."""
        if not rows:
            return []
        stored_id = StreamId.stored(stream_id.uuid, rows[0][8], stream_id.category)
        uuid_out, time_out = self._kit.codec.uuid_out, self._kit.codec.time_out
        return [
            RawEvent(
                uuid_out(uuid),
                stored_id,
                version,
                position,
                type_,
                schema,
                data,
                context,
                time_out(at),
            )
            for position, uuid, version, type_, schema, data, context, at, _name, _flag in rows
        ]

    def _stream_params(self, stream_id: StreamId) -> dict[str, Any]:
        return {
            "p_uuid": self._kit.codec.uuid_in(stream_id.uuid),
            "p_category": stream_id.category or "",
        }

    @cached_property
    def _kit(self) -> _DialectKit:
        """The dialect's statements and value codec, resolved on first use (a
        session's engine is only known once the store is used)."""
        dialect = self.transactions.dialect
        return _DialectKit(statements_for(dialect), ValueCodec.of(dialect))


@dataclass(frozen=True, slots=True)
class _DialectKit:
    sql: Statements
    codec: ValueCodec


def _first_line(error: DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0]
