"""What the store holds, for tools: every stream with its counts and times, every snapshot
with its stream. One statement each, compiled once per dialect."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Select, and_, bindparam, func, literal_column, select

from event_sourcery.records import RawEvent, StreamInfo
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import DriverStatement, ValueCodec, once_per_dialect
from event_sourcery.storage.sql.global_order import NO_LIMIT, raws_across_streams
from event_sourcery.storage.sql.statements import SNAPSHOT_FIELDS
from event_sourcery.storage.sql.tables import events, snapshots, streams
from event_sourcery.storage.sql.transactions import Transactions
from event_sourcery.streams import StreamId

_s, _e, _sn = streams.c, events.c, snapshots.c


@dataclass(frozen=True)
class CatalogStatements:
    """Listings rows return: (uuid, name, category, version, events, first event's time,
    last event's time, snapshots)."""

    streams: DriverStatement
    """Every stream holding events, by its first event's position, at most p_limit."""
    streams_in: DriverStatement
    """The same, of the categories the JSON array p_categories names."""
    snapshots: DriverStatement
    """Every snapshot, by its stream's first position, version, then saving order, in
    ``read_all_statement``'s row shape."""


def _listing(dialect: Dialect, categories: bool) -> Select[Any]:
    """One pass over the events groups them by stream; the first and last event's times
    come from their primary key, the snapshot count from the snapshots' stream index."""
    held = select(
        _e.stream_id,
        func.count().label("events"),
        func.min(_e.position).label("first_position"),
        func.max(_e.position).label("last_position"),
    ).group_by(_e.stream_id)
    if categories:
        held = held.join_from(events, streams, _e.stream_id == _s.id).where(
            _s.category.in_(dialects.json_values(dialect.name, "p_categories"))
        )
    per_stream = held.subquery("per_stream")
    first, last = events.alias("first_event"), events.alias("last_event")
    kept = select(func.count()).where(_sn.stream_id == _s.id).scalar_subquery().label("snapshots")
    return (
        select(
            _s.uuid,
            _s.name,
            _s.category,
            _s.version,
            per_stream.c.events,
            first.c.created_at,
            last.c.created_at,
            kept,
        )
        .join_from(per_stream, streams, per_stream.c.stream_id == _s.id)
        .join(first, first.c.position == per_stream.c.first_position)
        .join(last, last.c.position == per_stream.c.last_position)
        .order_by(per_stream.c.first_position)
        .limit(bindparam("p_limit"))
        .offset(literal_column("0"))
    )


def _compile(dialect: Dialect) -> CatalogStatements:
    # Only versioned streams have snapshots, and their versions start at 1 with positions
    # growing along (appends to a stream take turns on its row), so a stream's first
    # position is its version 1 event's: one lookup in the (stream, version) index.
    first = events.alias("first_event")
    every_snapshot = (
        select(*SNAPSHOT_FIELDS, _s.uuid, _s.name, _s.category)
        .join_from(snapshots, streams, _sn.stream_id == _s.id)
        .join(
            first, and_(first.c.stream_id == _sn.stream_id, first.c.version == literal_column("1"))
        )
        .order_by(first.c.position, _sn.version, _sn.id)
    )
    return CatalogStatements(
        streams=DriverStatement.compile(_listing(dialect, False), dialect),
        streams_in=DriverStatement.compile(_listing(dialect, True), dialect),
        snapshots=DriverStatement.compile(every_snapshot, dialect),
    )


catalog_statements = once_per_dialect(_compile)
"""The catalog's statements compiled for a dialect, once."""


def list_streams(
    transactions: Transactions, categories: tuple[str, ...] | None, limit: int | None
) -> list[StreamInfo]:
    """The storage protocol's ``streams`` on SQL: one statement."""
    sql = catalog_statements(transactions.dialect)
    params: dict[str, Any] = {"p_limit": NO_LIMIT if limit is None else limit}
    if categories is not None:
        params["p_categories"] = json.dumps(list(categories))
    query = sql.streams if categories is None else sql.streams_in
    with transactions.read() as conn:
        rows = query.run(conn, params)
    codec = ValueCodec.of(transactions.dialect)
    uuid_out, time_out = codec.uuid_out, codec.time_out
    return [
        StreamInfo(
            stream_id=StreamId.stored(uuid_out(uuid), name, category or None),
            version=version,
            events=count,
            first_at=time_out(first_at),
            last_at=time_out(last_at),
            snapshots=kept,
        )
        for uuid, name, category, version, count, first_at, last_at, kept in rows
    ]


def every_snapshot(transactions: Transactions) -> list[RawEvent]:
    """The storage protocol's ``snapshots(None)`` on SQL: one statement."""
    with transactions.read() as conn:
        rows = catalog_statements(transactions.dialect).snapshots.run(conn, {})
    return raws_across_streams(rows, ValueCodec.of(transactions.dialect))
