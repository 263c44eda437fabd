"""SqlStorage: the storage protocol on SQLite and PostgreSQL with SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    EventStoreError,
    StreamNameConflict,
    VersioningMismatch,
)
from event_sourcery.records import RawEvent
from event_sourcery.storage.protocol import NewEvent
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.tables import events, streams
from event_sourcery.storage.sql.transactions import Transactions
from event_sourcery.streams import StreamId
from event_sourcery.versioning import ExpectedVersion


class _Refused(Exception):
    """The stream row did not take the claim; explained by ``_explain`` outside the failure."""


class SqlStorage:
    """Streams and events in two tables; concurrency is decided by the stream row.

    An append claims its versions with one statement on the stream row (INSERT for a new
    stream, UPDATE ... WHERE version = expected, or an upsert for ANY) and then writes its
    events with one multi-row INSERT; the unique (stream, version) index backs the claim up.
    """

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def append(
        self, stream_id: StreamId, expected: ExpectedVersion, events: Sequence[NewEvent]
    ) -> None:
        try:
            with self.transactions.write() as conn:
                try:
                    stream_pk, first = self._claim(conn, stream_id, expected, len(events))
                except _Refused:
                    if self.transactions.owns_transaction:
                        raise
                    raise self._explain_in_session(conn, stream_id, expected) from None
                self._insert_events(conn, stream_id, stream_pk, first, events)
        except _Refused:
            with self.transactions.read() as conn:
                raise self._explain(conn, stream_id, expected) from None

    def load(self, stream_id: StreamId, start: int | None, stop: int | None) -> list[RawEvent]:
        e = events.c
        query = (
            select(
                e.position,
                e.uuid,
                e.version,
                e.type,
                e.data,
                e.context,
                e.created_at,
                streams.c.name,
            )
            .join_from(events, streams, e.stream_id == streams.c.id)
            .where(*_stream_is(stream_id))
            .order_by(e.version, e.position)
        )
        if start is not None:
            query = query.where(e.version >= start)
        if stop is not None:
            query = query.where(e.version < stop)
        with self.transactions.read() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return []
        stored_id = StreamId(stream_id.uuid, name=rows[0].name, category=stream_id.category)
        return [
            RawEvent(
                uuid=row[1],
                stream_id=stored_id,
                version=row[2],
                position=row[0],
                type=row[3],
                data_json=row[4],
                context_json=row[5],
                created_at=row[6],
            )
            for row in rows
        ]

    def delete(self, stream_id: StreamId) -> None:
        owned = select(streams.c.id).where(*_stream_is(stream_id)).scalar_subquery()
        with self.transactions.write() as conn:
            conn.execute(delete(events).where(events.c.stream_id == owned))
            conn.execute(delete(streams).where(*_stream_is(stream_id)))

    def _claim(
        self, conn: Connection, stream_id: StreamId, expected: ExpectedVersion, count: int
    ) -> tuple[int, int | None]:
        """Take versions for ``count`` events: (stream row id, first version or None)."""
        s = streams.c
        values = {
            "uuid": stream_id.uuid,
            "category": stream_id.category or "",
            "name": stream_id.name,
        }
        if expected.exact is not None and expected.exact > 0:
            row = conn.execute(
                update(streams)
                .where(*_stream_is(stream_id), s.version == expected.exact)
                .values(version=s.version + count)
                .returning(s.id)
            ).first()
            if row is None:
                raise _Refused
            return row[0], expected.exact + 1
        insert = dialects.insert(conn.dialect, streams)
        if expected.exact == 0:
            row = conn.execute(
                insert.values(**values, version=count).on_conflict_do_nothing().returning(s.id)
            ).first()
            if row is None:
                raise _Refused
            return row[0], 1
        new_version = s.version + count if expected.versioned else s.version
        upsert = insert.values(**values, version=count if expected.versioned else None)
        try:
            row = conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[s.uuid, s.category], set_={"version": new_version}
                ).returning(s.id, s.version)
            ).one()
        except IntegrityError:  # the name belongs to another stream
            raise _Refused from None
        stream_pk, version = row
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
        rows = [
            {
                "uuid": new.uuid,
                "stream_id": stream_pk,
                "version": None if first is None else first + offset,
                "type": new.type,
                "data": new.data_json,
                "context": new.context_json,
                "created_at": new.created_at,
            }
            for offset, new in enumerate(new_events)
        ]
        size = dialects.max_rows_per_insert(conn.dialect, len(rows[0]))
        done = 0
        try:
            for done in range(0, len(rows), size):
                conn.execute(events.insert().values(rows[done : done + size]))
        except IntegrityError as error:
            if not self.transactions.owns_transaction:
                self._undo_in_session(conn, stream_pk, first, rows[:done])
            raise DuplicateEventId(stream_id, _first_line(error)) from None

    def _undo_in_session(
        self, conn: Connection, stream_pk: int, first: int | None, written: list[dict[str, Any]]
    ) -> None:
        """Take back a half-done append inside the caller's transaction: SQLite keeps the
        transaction usable after a failed statement (PostgreSQL has already aborted it)."""
        if conn.dialect.name == "postgresql":
            return
        if written:
            conn.execute(delete(events).where(events.c.uuid.in_([r["uuid"] for r in written])))
        s = streams.c
        if first is not None and first > 1:
            conn.execute(update(streams).where(s.id == stream_pk).values(version=first - 1))
        else:
            has_events = select(events.c.position).where(events.c.stream_id == stream_pk).exists()
            conn.execute(delete(streams).where(s.id == stream_pk, ~has_events))

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
                return StreamNameConflict(
                    stream_id, StreamId(other.uuid, name=other.name, category=stream_id.category)
                )
            return ConcurrentStreamWriteError(stream_id, expected.exact or 0, 0)
        if (own.version is None) == expected.versioned:
            return VersioningMismatch(stream_id, own.version is not None)
        return ConcurrentStreamWriteError(stream_id, expected.exact or 0, own.version)

    def _explain_in_session(
        self, conn: Connection, stream_id: StreamId, expected: ExpectedVersion
    ) -> EventStoreError:
        try:
            return self._explain(conn, stream_id, expected)
        except DBAPIError:  # PostgreSQL aborted the caller's transaction on a name clash
            return StreamNameConflict(stream_id, None)


def _stream_is(stream_id: StreamId) -> tuple[ColumnElement[bool], ...]:
    return (streams.c.uuid == stream_id.uuid, streams.c.category == (stream_id.category or ""))


def _first_line(error: IntegrityError) -> str:
    return str(error.orig).strip().splitlines()[0]
