"""The statements on the hot paths, built once per dialect so SQLAlchemy only looks them up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Delete, Dialect, Insert, Update, bindparam, delete, select, update
from sqlalchemy.sql import Executable

from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.tables import events, streams

_s, _e = streams.c, events.c
_this_stream = (_s.uuid == bindparam("p_uuid"), _s.category == bindparam("p_category"))


@dataclass(frozen=True)
class Statements:
    """Parameters: p_uuid and p_category name the stream; p_name, p_count, p_expected,
    p_start and p_stop as each statement says."""

    create_stream: Insert
    """New stream at version ``count``; no row back if it exists (or its name is taken)."""
    advance_stream: Update
    """Move the stream from ``expected`` to ``expected + count``; no row back if elsewhere."""
    append_any: Insert
    """Create the stream or add ``count`` to its version; returns (id, new version)."""
    touch_versionless: Insert
    """Create a versionless stream or lock it as it is; returns (id, version)."""
    insert_events: Insert
    load: Executable
    load_from: Executable
    load_until: Executable
    load_range: Executable
    delete_events: Delete
    delete_stream: Delete


@cache
def _for_dialect(name: str) -> Statements:
    insert = dialects.insert(name, streams)
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
        version=None,
    )
    key = [_s.uuid, _s.category]
    load = (
        select(
            _e.position, _e.uuid, _e.version, _e.type, _e.data, _e.context, _e.created_at, _s.name
        )
        .join_from(events, streams, _e.stream_id == _s.id)
        .where(*_this_stream)
        .order_by(_e.version, _e.position)
    )
    from_ = _e.version >= bindparam("p_start")
    until = _e.version < bindparam("p_stop")
    stream_pk = select(_s.id).where(*_this_stream).scalar_subquery()
    return Statements(
        create_stream=new_stream.on_conflict_do_nothing().returning(_s.id),
        advance_stream=update(streams)
        .where(*_this_stream, _s.version == bindparam("p_expected"))
        .values(version=_s.version + bindparam("p_count"))
        .returning(_s.id),
        append_any=new_stream.on_conflict_do_update(
            index_elements=key, set_={"version": _s.version + bindparam("p_count")}
        ).returning(_s.id, _s.version),
        touch_versionless=new_versionless.on_conflict_do_update(
            index_elements=key, set_={"version": _s.version}
        ).returning(_s.id, _s.version),
        insert_events=events.insert(),
        load=load,
        load_from=load.where(from_),
        load_until=load.where(until),
        load_range=load.where(from_, until),
        delete_events=delete(events).where(_e.stream_id == stream_pk),
        delete_stream=delete(streams).where(*_this_stream),
    )


def statements_for(dialect: Dialect) -> Statements:
    """The statements for ``dialect`` (SQLite or PostgreSQL)."""
    return _for_dialect(dialect.name)
