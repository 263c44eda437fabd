"""Reading the whole store in position order, and how far that is safe on each database.

PostgreSQL takes a position when a row is inserted but shows the row only at commit, so
positions can become visible out of order. Before reading, ``GapGuard`` notes the last
position handed out and the transactions then writing events (holding the events
table's row-exclusive lock, which an INSERT takes before any position); once all of those
have ended, every position up to the noted one is final. Writers are never serialised; a
long-open writing transaction holds readers back until it ends. SQLite has one writer at a
time, so its positions become visible in order.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Dialect, bindparam, func, literal_column, select
from sqlalchemy.engine.interfaces import DBAPIConnection

from event_sourcery.records import RawEvent
from event_sourcery.storage.reading import Horizon, ReadFilter
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import DriverStatement, ValueCodec
from event_sourcery.storage.sql.statements import ROW_FIELDS
from event_sourcery.storage.sql.tables import events, streams
from event_sourcery.streams import StreamId

_e, _s = events.c, streams.c

_PG_LAST_POSITION = (
    "SELECT pg_sequence_last_value("
    "pg_get_serial_sequence('event_sourcery_events', 'position')::regclass)"
)
# The transactions now writing events: those holding the events table's row-exclusive
# lock (taken when their INSERT starts, before it takes any position, and kept until they
# end), by the id each holds a lock on; not the reader's own (its rows are visible to it).
# pg_locks is read live, even inside a transaction, and covers prepared (two-phase)
# transactions; writers of other tables, schemas and databases are not counted.
_PG_RUNNING = (
    "SELECT ARRAY(SELECT x.transactionid::text FROM pg_locks AS r JOIN pg_locks AS x "
    "ON x.virtualtransaction = r.virtualtransaction AND x.locktype = 'transactionid' "
    "WHERE r.locktype = 'relation' AND r.mode = 'RowExclusiveLock' "
    "AND r.relation = 'event_sourcery_events'::regclass AND r.pid <> pg_backend_pid())"
)
_SQLITE_LAST_POSITION = "SELECT seq FROM sqlite_sequence WHERE name = 'event_sourcery_events'"
_MAX_CANDIDATES = 256
NO_LIMIT = 2**62
"""The limit of a read that has none (LIMIT takes a parameter either way)."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    allocated: int
    running: frozenset[int]
    noted_at: datetime


class GapGuard:
    """Tracks the safe position for one store's readers (PostgreSQL)."""

    def __init__(self, wait: float = 0.05) -> None:
        self._wait = wait
        self._lock = threading.Lock()
        self._candidates: list[_Candidate] = []
        self._safe = 0

    def horizon(self, conn: DBAPIConnection) -> Horizon:
        """Note where writers stand, then wait up to ``wait`` seconds for the ones in
        flight to end; returns the highest position known to be final."""
        allocated = _scalar(conn, _PG_LAST_POSITION) or 0
        deadline = time.monotonic() + self._wait
        noted = False
        while True:
            running = frozenset(int(xid) for xid in _scalar(conn, _PG_RUNNING))
            now = datetime.now(UTC)
            with self._lock:
                if not noted:
                    self._note(_Candidate(allocated, running, now))
                    noted = True
                horizon = self._advance(allocated, running)
            if horizon.position >= allocated or time.monotonic() >= deadline:
                return horizon
            time.sleep(0.002)

    def _note(self, candidate: _Candidate) -> None:
        if self._candidates and self._candidates[-1].allocated >= candidate.allocated:
            return  # nothing new was handed out since the last note
        self._candidates.append(candidate)
        if len(self._candidates) > _MAX_CANDIDATES:  # thin out, keeping the oldest
            self._candidates = self._candidates[:1] + self._candidates[2::2]

    def _advance(self, allocated: int, running: frozenset[int]) -> Horizon:
        final = [i for i, c in enumerate(self._candidates) if c.running.isdisjoint(running)]
        if final:
            newest = final[-1]
            self._safe = max(self._safe, self._candidates[newest].allocated)
            del self._candidates[: newest + 1]
        pending = next((c for c in self._candidates if c.allocated > self._safe), None)
        if pending is None:
            return Horizon(self._safe, max(allocated, self._safe))
        return Horizon(
            self._safe,
            max(allocated, self._safe),
            held_since=pending.noted_at,
            blocking=tuple(sorted(pending.running & running)),
        )


def sqlite_horizon(conn: DBAPIConnection) -> Horizon:
    """SQLite: one writer at a time, so every handed-out position is final once seen."""
    position = _scalar(conn, _SQLITE_LAST_POSITION) or 0
    return Horizon(position, position)


def _scalar(conn: DBAPIConnection, sql: str) -> Any:
    cursor = conn.cursor()
    try:
        cursor.execute(sql)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else row[0]


_ACROSS_STREAMS = select(
    *[_e[name] for name in ROW_FIELDS],
    _e.context,
    _e.created_at,
    _s.uuid,
    _s.name,
    _s.category,
).join_from(events, streams, _e.stream_id == _s.id)
"""Events with their streams' uuid, name and category (see ``raws_across_streams``)."""


@cache
def read_all_statement(
    dialect: Dialect,
    types: bool,
    categories: bool,
    since: bool,
    until: bool,
    *,
    descending: bool = False,
) -> DriverStatement:
    """Events with p_after < position <= p_horizon, in position order (``descending``:
    newest first), at most p_limit, filtered by what the flags switch on: p_types and
    p_categories (JSON arrays), p_since and p_until."""
    query = _ACROSS_STREAMS.where(
        _e.position > bindparam("p_after"), _e.position <= bindparam("p_horizon")
    )
    if types:
        query = query.where(_e.type.in_(dialects.json_values(dialect.name, "p_types")))
    if categories:
        query = query.where(_s.category.in_(dialects.json_values(dialect.name, "p_categories")))
    if since:
        query = query.where(_e.created_at >= bindparam("p_since"))
    if until:
        query = query.where(_e.created_at < bindparam("p_until"))
    order = _e.position.desc() if descending else _e.position
    query = query.order_by(order).limit(bindparam("p_limit")).offset(literal_column("0"))
    return DriverStatement.compile(query, dialect)


@cache
def event_statement(dialect: Dialect) -> DriverStatement:
    """The event whose uuid is p_uuid (the unique index finds it), shaped as a read's row."""
    return DriverStatement.compile(_ACROSS_STREAMS.where(_e.uuid == bindparam("p_uuid")), dialect)


@cache
def event_types_statement(dialect: Dialect) -> DriverStatement:
    """The stored type names, one index probe each: a loose scan of the type index (SQLite
    and PostgreSQL walk it rather than read every event)."""
    found = select(func.min(_e.type).label("type")).cte("found", recursive=True)
    later = events.alias("later")
    following = select(func.min(later.c.type)).where(later.c.type > found.c.type)
    found = found.union_all(select(following.scalar_subquery()).where(found.c.type.is_not(None)))
    return DriverStatement.compile(select(found.c.type).where(found.c.type.is_not(None)), dialect)


def read_filter_params(
    after: int, horizon: int, limit: int, read: ReadFilter, time_in: Any
) -> dict[str, Any]:
    """The parameters of ``read_all_statement`` for one read."""
    return {
        "p_after": after,
        "p_horizon": horizon,
        "p_limit": limit,
        "p_types": None if read.types is None else _json_list(read.types),
        "p_categories": None if read.categories is None else _json_list(read.categories),
        "p_since": None if read.since is None else time_in(read.since),
        "p_until": None if read.until is None else time_in(read.until),
    }


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


def raws_across_streams(rows: list[Any], codec: ValueCodec) -> list[RawEvent]:
    """Rows shaped as ``read_all_statement``'s (a row's fields, then its stream's uuid,
    name and category) as RawEvents; rows of one stream share one StreamId."""
    uuid_out, time_out = codec.uuid_out, codec.time_out
    stream_ids: dict[tuple[Any, str], StreamId] = {}
    raws = []
    for position, uuid, version, type_, schema, data, context, at, s_uuid, name, cat in rows:
        stream_id = stream_ids.get((s_uuid, cat))
        if stream_id is None:
            stream_id = stream_ids[(s_uuid, cat)] = StreamId.stored(
                uuid_out(s_uuid), name, cat or None
            )
        raws.append(
            RawEvent(
                uuid_out(uuid),
                stream_id,
                version,
                position,
                type_,
                schema,
                data,
                context,
                time_out(at),
            )
        )
    return raws
