"""The backend's statements, built with SQLAlchemy Core and compiled once per dialect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Dialect,
    Select,
    bindparam,
    delete,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import ClauseElement

from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import DriverStatement, once_per_dialect
from event_sourcery.storage.sql.tables import events, snapshots, streams

_s, _e, _sn = streams.c, events.c, snapshots.c
_this_stream = (_s.uuid == bindparam("p_uuid"), _s.category == bindparam("p_category"))


@dataclass(frozen=True)
class Statements:
    """Parameters: p_uuid and p_category name the stream; p_name, p_count, p_expected,
    p_start, p_stop, p_first, p_last, p_after, p_id and p_version as each statement says.
    Loads return (position, uuid, version, type, schema_version, data, context,
    created_at, stream name, is_snapshot)."""

    create_stream: DriverStatement
    """New stream at version ``count``; no row back if it exists (or its name is taken)."""
    advance_stream: DriverStatement
    """Move the stream from ``expected`` to ``expected + count``; no row back if elsewhere."""
    append_any: DriverStatement
    """Create the stream or add ``count`` to its version; returns (id, new version)."""
    touch_versionless: DriverStatement
    """Create a versionless stream or lock it as it is; returns (id, version)."""
    insert_events: DriverStatement
    load: DriverStatement
    load_from: DriverStatement
    load_until: DriverStatement
    load_range: DriverStatement
    load_latest: DriverStatement
    """The latest snapshot with p_first <= version <= p_last (flagged 1 in the last column),
    then the events above it (above p_after without one) up to p_last; versionless events
    too, for a load of the whole stream."""
    load_latest_range: DriverStatement
    """The same without versionless events (a ranged load)."""
    explain: DriverStatement
    """The stream's row and the row holding its name: (uuid, name, version)."""
    uuids_taken: DriverStatement
    """SQLite only: which of a JSON array of uuids (p_uuids) are stored already."""
    undo_advance: DriverStatement
    """Put stream p_id back at version p_version."""
    undo_create: DriverStatement
    """Remove stream p_id if it has no events."""
    lock_stream: DriverStatement
    """Lock the stream row for a delete; returns its id (p_id of the next two)."""
    delete_events: DriverStatement
    delete_stream: DriverStatement
    event_at: DriverStatement
    """The stream's event at version p_version: (stream row id, position)."""
    insert_snapshot: DriverStatement
    snapshots: DriverStatement
    """The stream's snapshots by version, then saving order."""
    delete_snapshots: DriverStatement
    stored_places: DriverStatement
    """(uuid, position, version) of the events whose uuids p_uuids (a JSON array) lists."""
    delete_by_uuids: DriverStatement
    """Remove the events p_uuids lists (an append taken back without a savepoint)."""


ROW_FIELDS = ("position", "uuid", "version", "type", "schema_version", "data")
"""The leading columns of every loaded row, events and snapshots alike."""
EVENT_COLUMNS = (
    "uuid",
    "stream_id",
    "version",
    "type",
    "schema_version",
    "data",
    "context",
    "created_at",
)
SNAPSHOT_COLUMNS = (
    "uuid",
    "stream_id",
    "version",
    "position",
    "type",
    "schema_version",
    "data",
    "created_at",
)

_no_context: ColumnElement[str] = literal_column("'{}'").label("context")  # snapshots: none
SNAPSHOT_FIELDS = (*[_sn[name] for name in ROW_FIELDS], _no_context, _sn.created_at)
"""A snapshot row as loads return it: the event row's fields, an empty context included."""


def _compile(dialect: Dialect) -> Statements:
    insert = dialects.insert(dialect.name, streams)
    new_stream = insert.values(
        uuid=bindparam("p_uuid"),
        category=bindparam("p_category"),
        name=bindparam("p_name"),
        version=bindparam("p_count"),
    )
    new_versionless = insert.values(
        uuid=bindparam("p_uuid"),
        category=bindparam("p_category"),
        name=bindparam("p_name"),
        version=null(),
    )
    key = [_s.uuid, _s.category]
    # Every load returns a row's fields, its stream's name and whether it is a snapshot.
    event_fields = (*[_e[name] for name in ROW_FIELDS], _e.context, _e.created_at)
    snapshot_fields = SNAPSHOT_FIELDS
    is_event: ColumnElement[int] = literal_column("0")
    is_snapshot: ColumnElement[int] = literal_column("1")
    stored_events = select(*event_fields, _s.name, is_event.label("is_snapshot")).join_from(
        events, streams, _e.stream_id == _s.id
    )
    load = stored_events.where(*_this_stream).order_by(_e.version, _e.position)
    stored_snapshots = (
        select(*snapshot_fields, _s.name, is_snapshot.label("is_snapshot"))
        .join_from(snapshots, streams, _sn.stream_id == _s.id)
        .where(*_this_stream)
    )
    # Loading from the latest snapshot is one statement, so it reads one snapshot of the
    # database: the stream row once, the latest snapshot in range by a backward scan of
    # its index, then the events above it (above p_after without one) up to p_last.
    # Bounding the version on both sides keeps PostgreSQL's estimate small, so that it
    # scans the (stream, version) index though it cannot know the snapshot's version
    # while planning.
    this_stream = select(_s.id, _s.name).where(*_this_stream).cte("this_stream")
    stream_pk = select(this_stream.c.id).scalar_subquery()
    stream_name = select(this_stream.c.name).scalar_subquery().label("name")
    latest = (
        select(*snapshot_fields)
        .where(
            _sn.stream_id == stream_pk,
            _sn.version >= bindparam("p_first"),
            _sn.version <= bindparam("p_last"),
        )
        .order_by(_sn.version.desc(), _sn.id.desc())
        .limit(literal_column("1"))
        .offset(literal_column("0"))
        .cte("latest_snapshot")
    )
    event_columns = (*event_fields, stream_name, is_event.label("is_snapshot"))
    later = select(*event_columns).where(
        _e.stream_id == stream_pk,
        _e.version
        > func.coalesce(select(latest.c.version).scalar_subquery(), bindparam("p_after")),
        _e.version <= bindparam("p_last"),
    )
    versionless = select(*event_columns).where(_e.stream_id == stream_pk, _e.version.is_(None))

    def from_latest(*parts: Select[Any]) -> CompoundSelect[Any]:
        snapshot = select(latest, stream_name, is_snapshot.label("is_snapshot"))
        # A snapshot's version is below its events', so it comes first.
        return union_all(snapshot, *parts).order_by(
            literal_column("version"), literal_column("position")
        )

    from_ = _e.version >= bindparam("p_start")
    until = _e.version < bindparam("p_stop")

    def compiled(statement: ClauseElement, columns: tuple[str, ...] = ()) -> DriverStatement:
        return DriverStatement.compile(statement, dialect, columns)

    # A claim that succeeds also wakes subscribers (PostgreSQL: NOTIFY, sent at commit).
    wake = dialects.wake_subscribers(dialect.name)
    return Statements(
        create_stream=compiled(new_stream.on_conflict_do_nothing().returning(_s.id, *wake)),
        advance_stream=compiled(
            update(streams)
            .where(*_this_stream, _s.version == bindparam("p_expected"))
            .values(version=_s.version + bindparam("p_count"))
            .returning(_s.id, *wake)
        ),
        append_any=compiled(
            new_stream.on_conflict_do_update(
                index_elements=key, set_={"version": _s.version + bindparam("p_count")}
            ).returning(_s.id, _s.version, *wake)
        ),
        touch_versionless=compiled(
            new_versionless.on_conflict_do_update(
                index_elements=key, set_={"version": _s.version}
            ).returning(_s.id, _s.version, *wake)
        ),
        insert_events=compiled(events.insert().inline(), EVENT_COLUMNS),
        load=compiled(load),
        load_from=compiled(load.where(from_)),
        load_until=compiled(load.where(until)),
        load_range=compiled(load.where(from_, until)),
        load_latest=compiled(from_latest(later, versionless)),
        load_latest_range=compiled(from_latest(later)),
        explain=compiled(
            select(_s.uuid, _s.name, _s.version).where(
                _s.category == bindparam("p_category"),
                or_(_s.uuid == bindparam("p_uuid"), _s.name == bindparam("p_name")),
            )
        ),
        uuids_taken=compiled(
            select(_e.uuid).where(
                _e.uuid.in_(dialects.json_values(dialect.name, "p_uuids", uuids=True))
            )
        ),
        undo_advance=compiled(
            update(streams).where(_s.id == bindparam("p_id")).values(version=bindparam("p_version"))
        ),
        undo_create=compiled(
            delete(streams).where(
                _s.id == bindparam("p_id"),
                ~select(_e.position).where(_e.stream_id == bindparam("p_id")).exists(),
            )
        ),
        lock_stream=compiled(
            update(streams).where(*_this_stream).values(version=_s.version).returning(_s.id)
        ),
        delete_events=compiled(delete(events).where(_e.stream_id == bindparam("p_id"))),
        delete_stream=compiled(delete(streams).where(_s.id == bindparam("p_id"))),
        event_at=compiled(
            select(_e.stream_id, _e.position)
            .join_from(events, streams, _e.stream_id == _s.id)
            .where(*_this_stream, _e.version == bindparam("p_version"))
        ),
        insert_snapshot=compiled(snapshots.insert().inline(), SNAPSHOT_COLUMNS),
        snapshots=compiled(stored_snapshots.order_by(_sn.version, _sn.id)),
        delete_snapshots=compiled(delete(snapshots).where(_sn.stream_id == bindparam("p_id"))),
        stored_places=compiled(
            select(_e.uuid, _e.position, _e.version).where(
                _e.uuid.in_(dialects.json_values(dialect.name, "p_uuids", uuids=True))
            )
        ),
        delete_by_uuids=compiled(
            delete(events).where(
                _e.uuid.in_(dialects.json_values(dialect.name, "p_uuids", uuids=True))
            )
        ),
    )


statements_for = once_per_dialect(_compile)
"""The statements compiled for a dialect (SQLite or PostgreSQL, any driver), once."""
