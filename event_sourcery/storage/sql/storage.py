"""SqlStorage: the storage protocol on SQLite and PostgreSQL with SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.engine import Connection

from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    EventStoreError,
    InvalidEnvelope,
    StreamNameConflict,
    VersioningMismatch,
)
from event_sourcery.records import RawEvent
from event_sourcery.storage.protocol import NewEvent
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import ValueCodec
from event_sourcery.storage.sql.statements import statements_for
from event_sourcery.storage.sql.tables import events, streams
from event_sourcery.storage.sql.transactions import Transactions
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


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

    def append(
        self, stream_id: StreamId, expected: ExpectedVersion, events: Sequence[NewEvent]
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
        except _Refused:
            with self.transactions.read() as conn:
                raise self._explain(conn, stream_id, expected) from None

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        with self.transactions.read() as conn:
            codec = ValueCodec(conn.dialect)
            params = {**_stream_params(stream_id, codec), "p_start": start, "p_stop": stop}
            sql = statements_for(conn.dialect)
            if start is None:
                query = sql.load if stop is None else sql.load_until
            else:
                query = sql.load_from if stop is None else sql.load_range
            rows = query.run(conn, params)
        if not rows:
            return []
        stored_id = StreamId(stream_id.uuid, name=rows[0][7], category=stream_id.category)
        uuid_out, time_out = codec.uuid_out, codec.time_out
        return [
            RawEvent(
                uuid_out(uuid), stored_id, version, position, type_, data, context, time_out(at)
            )
            for position, uuid, version, type_, data, context, at, _ in rows
        ]

    def delete(self, stream_id: StreamId) -> None:
        with self.transactions.write() as conn:
            params = _stream_params(stream_id, ValueCodec(conn.dialect))
            sql = statements_for(conn.dialect)
            # Lock the stream row first, so that an append in flight either finishes before
            # the delete or finds the stream gone (never half-deleted).
            locked = sql.lock_stream.run(conn, params)
            if not locked:
                return
            sql.delete_events.run(conn, {"p_id": locked[0][0]})
            sql.delete_stream.run(conn, {"p_id": locked[0][0]})

    def close(self) -> None:
        self.transactions.close()

    def _claim(
        self, conn: Connection, stream_id: StreamId, expected: ExpectedVersion, count: int
    ) -> tuple[int, int | None]:
        """Take versions for ``count`` events: (stream row id, first version or None)."""
        sql = statements_for(conn.dialect)
        params = {
            **_stream_params(stream_id, ValueCodec(conn.dialect)),
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
            [(stream_pk, version)] = statement.run(conn, params)
        except conn.dialect.loaded_dbapi.IntegrityError:  # the name belongs to another stream
            raise _Refused from None
        if (version is None) == expected.versioned:
            raise VersioningMismatch(stream_id, version is not None)
        return stream_pk, None if version is None else version - count + 1

    def _insert_events(
        self,
        conn: Connection,
        stream_id: StreamId,
        stream_pk: int,
        first: int | None,
        new_events: Sequence[NewEvent],
    ) -> None:
        codec = ValueCodec(conn.dialect)
        rows = [
            {
                "uuid": codec.uuid_in(new.uuid),
                "stream_id": stream_pk,
                "version": None if first is None else first + offset,
                "type": new.type,
                "data": new.data_json,
                "context": new.context_json,
                "created_at": codec.time_in(new.created_at),
            }
            for offset, new in enumerate(new_events)
        ]
        if not self.transactions.atomic_writes:
            self._refuse_stored_uuids(conn, stream_id, new_events)
        dbapi = conn.dialect.loaded_dbapi
        try:
            statements_for(conn.dialect).insert_events.run_many(conn, rows)
        except dbapi.IntegrityError as error:
            raise DuplicateEventId(stream_id, _first_line(error)) from None
        except dbapi.DataError as error:
            raise InvalidEnvelope(f"the database refused a value: {_first_line(error)}") from None

    def _refuse_stored_uuids(
        self, conn: Connection, stream_id: StreamId, new_events: Sequence[NewEvent]
    ) -> None:
        """Without an atomic write, a failed executemany would leave the rows before the
        failure behind, so look first. The claim holds SQLite's write lock, so no other
        writer can slip a uuid in between."""
        uuids = [new.uuid for new in new_events]
        step = dialects.max_binds(conn.dialect)
        for start in range(0, len(uuids), step):
            chunk = uuids[start : start + step]
            taken = conn.execute(select(events.c.uuid).where(events.c.uuid.in_(chunk))).first()
            if taken is not None:
                raise DuplicateEventId(stream_id, f"uuid {taken[0]} is already stored")

    def _undo_claim(self, conn: Connection, stream_pk: int, first: int | None) -> None:
        """Take a claim back inside the caller's transaction: the stream's version goes back,
        and a stream the claim created (so without events) goes away."""
        s = streams.c
        if first is not None and first > 1:
            conn.execute(update(streams).where(s.id == stream_pk).values(version=first - 1))
        else:
            used = select(events.c.position).where(events.c.stream_id == stream_pk)
            conn.execute(delete(streams).where(s.id == stream_pk, ~used.exists()))

    def _explain(
        self, conn: Connection, stream_id: StreamId, expected: ExpectedVersion
    ) -> EventStoreError:
        """Why the stream row refused a claim: read only on this failure path."""
        s = streams.c
        same_name: ColumnElement[bool] = (
            s.name == stream_id.name if stream_id.name is not None else false()
        )
        rows = conn.execute(
            select(s.uuid, s.name, s.version).where(
                s.category == (stream_id.category or ""),
                or_(s.uuid == stream_id.uuid, same_name),
            )
        ).all()
        own = next((r for r in rows if r.uuid == stream_id.uuid), None)
        if own is None:
            other = next((r for r in rows if r.uuid != stream_id.uuid), None)
            if other is not None:
                owner = StreamId(other.uuid, name=other.name, category=stream_id.category)
                return StreamNameConflict(stream_id, owner)
            return ConcurrentStreamWriteError(stream_id, expected.exact or 0, 0)
        if (own.version is None) == expected.versioned:
            return VersioningMismatch(stream_id, own.version is not None)
        return ConcurrentStreamWriteError(stream_id, expected.exact or 0, own.version)


def _stream_params(stream_id: StreamId, codec: ValueCodec) -> dict[str, object]:
    return {"p_uuid": codec.uuid_in(stream_id.uuid), "p_category": stream_id.category or ""}


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
