"""SqlOutbox: the outbox tier of the storage protocol on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError

from event_sourcery.errors import OutboxSchemaOutdated, StoreUnavailable
from event_sourcery.outbox.entries import (
    ABANDONED_MESSAGE,
    Attempt,
    EntryStatus,
    Finished,
    Leased,
    OutboxEntry,
    Outcome,
    Selection,
)
from event_sourcery.records import RawEvent
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import DriverStatement, ValueCodec
from event_sourcery.storage.sql.outbox_statements import (
    DELIVERY_COLUMNS,
    OutboxStatements,
    outbox_statements_for,
    purgeable,
    selected,
)
from event_sourcery.storage.sql.tables import outbox
from event_sourcery.storage.sql.transactions import EngineTransactions
from event_sourcery.streams import StreamId

_ENTRY_WIDTH = 16
_LEASED_BY = 13


class SqlOutbox:
    """Entries and attempts in two tables. Claims take turns (``dialects.claim_start``)
    and only lease; publishing happens outside any transaction, and a second short
    transaction records the outcomes."""

    def __init__(self, transactions: EngineTransactions) -> None:
        self.transactions = transactions
        self._queries: dict[tuple[Any, ...], DriverStatement] = {}
        self._schema_checked = False

    def _check_schema(self) -> None:
        """Before the first claim: the columns a delivery writes are there. Otherwise a
        relay would publish a batch and then fail to record it, again and again."""
        try:
            with self.transactions.read() as conn:
                self._sql.delivery_columns.run(conn, {})
        except StoreUnavailable:
            raise  # the database is down, which says nothing about its columns
        except DBAPIError as error:
            raise OutboxSchemaOutdated(outbox.name, DELIVERY_COLUMNS, str(error.orig)) from None
        self._schema_checked = True

    def claim(
        self, relay_id: str, now: datetime, until: datetime, limit: int, max_failures: int
    ) -> list[Leased]:
        if not self._schema_checked:
            self._check_schema()
        sql, time_in = self._sql, self._codec.time_in
        unit = self.transactions.write(self._claim_start, deferred=True)
        with unit as conn:
            lease = {"p_relay": relay_id, "p_now": time_in(now), "p_until": time_in(until)}
            if sql.due_and_lease is not None:  # picked and leased in one go, as it begins
                params = {**lease, "p_limit": limit}
                rows = sql.due_and_lease.run(conn, params, before=unit.opening())
            else:
                unit.begin()
                rows = sql.due.run(conn, {"p_now": time_in(now), "p_limit": limit})
            if not rows:
                return []
            rows.sort(key=_first)
            lost = [self._entry(row) for row in rows if row[_LEASED_BY] is not None]
            dead = {e.position for e in lost if e.failures + 1 >= max_failures}
            if lost:
                self._abandon(conn, lost, dead, (relay_id, now, until))
            if sql.due_and_lease is not None:
                taken = {row[0] for row in rows if row[0] not in dead}
            else:
                positions = json.dumps([row[0] for row in rows if row[0] not in dead])
                leased = sql.lease.run(conn, {**lease, "p_positions": positions})
                taken = {position for (position,) in leased}
        given_up = {entry.position for entry in lost}
        return [self._claimed(row, row[0] in given_up) for row in rows if row[0] in taken]

    def _abandon(
        self,
        conn: DBAPIConnection,
        lost: list[OutboxEntry],
        dead: set[int],
        lease: tuple[str, datetime, datetime],
    ) -> None:
        """Record the attempts of relays whose leases ran out and count them as failures;
        the entries in ``dead`` have had their last, the others take the new ``lease``."""
        relay_id, now, until = lease
        attempts = [self._attempt_row(Attempt.abandoned(entry, now)) for entry in lost]
        self._sql.insert_attempts.run(conn, attempts)
        time_in = self._codec.time_in
        leased = {"p_relay": relay_id, "p_leased_at": time_in(now), "p_until": time_in(until)}
        gone = {"p_status": EntryStatus.DEAD.value, "p_next": None} | dict.fromkeys(leased)
        changes = [
            {"p_position": e.position, "p_error": ABANDONED_MESSAGE}
            | (
                gone
                if e.position in dead
                else {"p_status": e.status.value, "p_next": _maybe(time_in, e.next_attempt_at)}
                | leased
            )
            for e in lost
        ]
        self._sql.abandon.run_many(conn, changes)

    def record(
        self,
        relay_id: str,
        leased_at: datetime,
        finished: Sequence[Finished],
        released: Sequence[int],
    ) -> None:
        sql, time_in, time_text = self._sql, self._codec.time_in, self._codec.time_text
        lease = {"p_relay": relay_id, "p_leased_at": time_in(leased_at)}
        delivered = [
            [done.attempt.position, time_text(done.attempt.started_at), time_text(finished_at)]
            for done in finished
            if done.status is EntryStatus.DELIVERED
            and (finished_at := done.attempt.finished_at) is not None
        ]
        unit = self.transactions.write(self._record_start, deferred=True)
        with unit as conn:
            if delivered:
                params = {**lease, "p_delivered": json.dumps(delivered)}
                opening = unit.opening()
                if opening and len(delivered) == len(finished) and not released:
                    # Nothing else to record: BEGIN, the deliveries and COMMIT in one go.
                    sql.deliver.run(conn, params, before=opening, after=("COMMIT",))
                    return
                sql.deliver.run(conn, params, before=opening)
            unit.begin()
            kept: set[int] = set()
            for done in finished:
                if done.status is not EntryStatus.DELIVERED:
                    params = {
                        **lease,
                        "p_position": done.attempt.position,
                        "p_status": done.status.value,
                        "p_failures": done.failures,
                        "p_next": _maybe(time_in, done.next_attempt_at),
                        "p_error": done.last_error,
                    }
                    kept.update(position for (position,) in sql.finish.run(conn, params))
            rows = [self._attempt_row(d.attempt) for d in finished if d.attempt.position in kept]
            sql.insert_attempts.run(conn, rows)
            if released:
                sql.release.run(conn, {**lease, "p_positions": json.dumps(list(released))})

    def record_replays(self, finished: Sequence[Finished]) -> None:
        time_in = self._codec.time_in
        with self.transactions.write() as conn:
            for done in finished:
                params = {
                    "p_position": done.attempt.position,
                    "p_number": done.attempt.number,
                    "p_previous": done.previous.value,
                    "p_status": done.status.value,
                    "p_delivered": _maybe(time_in, _delivered_at(done)),
                    "p_error": done.last_error,
                }
                if self._sql.finish_replay.run(conn, params):
                    self._sql.insert_attempts.run(conn, [self._attempt_row(done.attempt)])

    def insert_entries(
        self, conn: DBAPIConnection, stream_params: dict[str, Any], uuids: str, now: datetime
    ) -> None:
        """Entries for events an append just stored (JSON array ``uuids``), in its
        transaction."""
        params = {**stream_params, "p_uuids": uuids, "p_now": self._codec.time_in(now)}
        self._sql.insert_entries.run(conn, params)

    def delete_entries(self, conn: DBAPIConnection, uuids: str) -> None:
        """Take back the entries of an append undone without a savepoint."""
        self._sql.delete_entries.run(conn, {"p_uuids": uuids})

    def entries(self, selection: Selection) -> list[OutboxEntry]:
        with self.transactions.read() as conn:
            rows = self._query(selection, with_events=False).run(conn, self._params(selection))
        return [self._entry(row) for row in rows]

    def with_events(self, selection: Selection) -> list[tuple[OutboxEntry, RawEvent | None]]:
        with self.transactions.read() as conn:
            rows = self._query(selection, with_events=True).run(conn, self._params(selection))
        return [self._with_event(row) for row in rows]

    def attempts(self, positions: Sequence[int] | None) -> list[Attempt]:
        sql = self._sql
        with self.transactions.read() as conn:
            if positions is None:
                rows = sql.every_attempt.run(conn, {})
            else:
                rows = sql.attempts_of.run(conn, {"p_positions": json.dumps(list(positions))})
        time_out = self._codec.time_out
        return [
            Attempt(
                position=position,
                number=number,
                relay_id=relay_id,
                started_at=time_out(started),
                finished_at=_maybe(time_out, finished),
                outcome=Outcome(outcome),
                error_type=error_type,
                error_message=error_message,
                replay=bool(replay),
            )
            for position, number, relay_id, started, finished, outcome, error_type, error_message, replay in rows  # noqa: E501
        ]

    def counts(self) -> dict[EntryStatus, int]:
        with self.transactions.read() as conn:
            rows = self._sql.counts.run(conn, {})
        counts = dict.fromkeys(EntryStatus, 0)
        counts.update({EntryStatus(status): count for status, count in rows})
        return counts

    def requeue(self, positions: Sequence[int], now: datetime) -> int:
        params = {"p_positions": json.dumps(list(positions)), "p_now": self._codec.time_in(now)}
        with self.transactions.write(self._record_start) as conn:
            return len(self._sql.requeue.run(conn, params))

    def purge(self, before: datetime, statuses: Sequence[EntryStatus]) -> int:
        doomed = DriverStatement.compile(purgeable(tuple(statuses)), self.transactions.dialect)
        with self.transactions.write() as conn:
            positions = [p for (p,) in doomed.run(conn, {"p_before": self._codec.time_in(before)})]
            if positions:
                params = {"p_positions": json.dumps(positions)}
                self._sql.forget_attempts.run(conn, params)
                self._sql.forget_entries.run(conn, params)
            return len(positions)

    def _query(self, selection: Selection, with_events: bool) -> DriverStatement:
        shape = (
            with_events,
            selection.status is not None,
            selection.stream is None,
            isinstance(selection.stream, StreamId),
            selection.types is None,
            selection.since is None,
            selection.until is None,
            selection.positions is None,
            selection.limit is None,
        )
        query = self._queries.get(shape)
        if query is None:
            dialect = self.transactions.dialect
            statement = selected(selection, with_events, dialect.name)
            query = self._queries[shape] = DriverStatement.compile(statement, dialect)
        return query

    def _params(self, selection: Selection) -> dict[str, Any]:
        codec = self._codec
        stream = selection.stream
        params: dict[str, Any] = {
            "p_status": None if selection.status is None else selection.status.value,
            "p_stream_uuid": None,
            "p_stream_category": None,
            "p_types": None if selection.types is None else json.dumps(list(selection.types)),
            "p_since": _maybe(self._codec.time_in, selection.since),
            "p_until": _maybe(self._codec.time_in, selection.until),
            "p_positions": (
                None if selection.positions is None else json.dumps(list(selection.positions))
            ),
            "p_limit": selection.limit,
        }
        if isinstance(stream, StreamId):
            params["p_stream_uuid"] = codec.uuid_in(stream.uuid)
            params["p_stream_category"] = stream.category or ""
        elif stream is not None:
            params["p_stream_uuid"] = codec.uuid_in(stream)
        return params

    def _entry(self, row: Sequence[Any]) -> OutboxEntry:
        codec = self._codec
        time_out = codec.time_out
        (
            position,
            event_uuid,
            stream_uuid,
            category,
            version,
            type_,
            status,
            attempts,
            failures,
            created_at,
            next_attempt_at,
            delivered_at,
            last_error,
            leased_by,
            leased_at,
            leased_until,
        ) = row[:_ENTRY_WIDTH]
        return OutboxEntry(
            position=position,
            event_uuid=codec.uuid_out(event_uuid),
            stream_id=StreamId.stored(codec.uuid_out(stream_uuid), None, category or None),
            version=version,
            type=type_,
            status=EntryStatus(status),
            attempts=attempts,
            failures=failures,
            created_at=time_out(created_at),
            next_attempt_at=_maybe(time_out, next_attempt_at),
            delivered_at=_maybe(time_out, delivered_at),
            last_error=last_error,
            leased_by=leased_by,
            leased_at=_maybe(time_out, leased_at),
            leased_until=_maybe(time_out, leased_until),
        )

    def _claimed(self, row: Sequence[Any], abandoned: bool) -> Leased:
        """A row of ``due`` as the relay needs it, once leased (after recording its
        ``abandoned`` attempt, if it had one): built straight from the row, since a relay
        makes one per entry."""
        position, event_uuid, stream_uuid, category = row[0], row[1], row[2], row[3]
        attempts, failures, last_error = row[7], row[8], row[12]
        if abandoned:
            attempts, failures, last_error = attempts + 1, failures + 1, ABANDONED_MESSAGE
        uuid = self._codec.uuid_out(event_uuid)
        return Leased(
            position,
            uuid,
            (stream_uuid, category),
            EntryStatus.PENDING,
            attempts,
            failures,
            last_error,
            self._event(row, uuid),
        )

    def _with_event(self, row: Sequence[Any]) -> tuple[OutboxEntry, RawEvent | None]:
        entry = self._entry(row)
        return entry, self._event(row, entry.event_uuid)

    def _event(self, row: Sequence[Any], uuid: UUID) -> RawEvent | None:
        """The event of an entry row followed by its event's columns (NULL when the event
        is gone)."""
        schema_version, data, context, created_at, name = row[_ENTRY_WIDTH:]
        if data is None:
            return None
        codec = self._codec
        return RawEvent(
            uuid,
            StreamId.stored(codec.uuid_out(row[2]), name, row[3] or None),
            row[4],
            row[0],
            row[5],
            schema_version,
            data,
            context,
            codec.time_out(created_at),
        )

    def _attempt_row(self, attempt: Attempt) -> tuple[Any, ...]:
        time_in = self._codec.time_in
        return (
            attempt.position,
            attempt.number,
            attempt.relay_id,
            time_in(attempt.started_at),
            _maybe(time_in, attempt.finished_at),
            attempt.outcome.value,
            attempt.error_type,
            attempt.error_message,
            attempt.replay,
        )

    @cached_property
    def _sql(self) -> OutboxStatements:
        return outbox_statements_for(self.transactions.dialect)

    @cached_property
    def _record_start(self) -> tuple[str, ...]:
        return dialects.record_start(self.transactions.dialect.name)

    @cached_property
    def _claim_start(self) -> tuple[str, ...]:
        return dialects.claim_start(self.transactions.dialect.name)

    @cached_property
    def _codec(self) -> ValueCodec:
        return ValueCodec.of(self.transactions.dialect)


def _delivered_at(done: Finished) -> datetime | None:
    return done.attempt.finished_at if done.status is EntryStatus.DELIVERED else None


def _first(row: Sequence[Any]) -> Any:
    return row[0]


def _maybe(convert: Any, value: Any) -> Any:
    return None if value is None else convert(value)
