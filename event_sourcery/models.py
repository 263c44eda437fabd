"""``configure_models(Base)``: put the library's tables on an application's declarative Base."""

from __future__ import annotations

from typing import Any, NamedTuple

from event_sourcery.storage.sql import tables


class Models(NamedTuple):
    """The ORM classes mapped onto the library's tables, for ad-hoc queries."""

    stream: type[Any]
    event: type[Any]
    snapshot: type[Any]
    checkpoint: type[Any]
    outbox_entry: type[Any]
    outbox_attempt: type[Any]


def configure_models(base: Any) -> Models:
    """Add the library's tables to ``base.metadata`` and map ORM classes onto them, so that
    ``create_all`` and alembic see them. Calling it again on the same Base is harmless."""
    metadata = base.metadata
    mapped: list[type[Any]] = []
    for table, class_name in (
        (tables.streams, "EventSourceryStream"),
        (tables.events, "EventSourceryEvent"),
        (tables.snapshots, "EventSourcerySnapshot"),
        (tables.checkpoints, "EventSourceryCheckpoint"),
        (tables.outbox, "EventSourceryOutboxEntry"),
        (tables.outbox_attempts, "EventSourceryOutboxAttempt"),
    ):
        existing = _mapped_class(base, table.name)
        if existing is None:
            copy = metadata.tables.get(table.name)
            if copy is None:
                copy = table.to_metadata(metadata)
            existing = type(class_name, (base,), {"__table__": copy})
        mapped.append(existing)
    return Models(*mapped)


def _mapped_class(base: Any, table_name: str) -> type[Any] | None:
    for mapper in base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table_name:
            cls: type[Any] = mapper.class_
            return cls
    return None
