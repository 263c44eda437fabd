"""The library's tables, defined once for SQLAlchemy Core statements and for ``create_all``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    event,
    false,
    text,
)

from event_sourcery.storage.sql.types import JsonDocument, UtcDateTime

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (no separate sequence).
_Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

streams = Table(
    "event_sourcery_streams",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("uuid", Uuid(), nullable=False),
    # '' stands for "no category", so that (uuid, category) stays unique.
    Column("category", String(255), nullable=False, server_default=""),
    Column("name", String, nullable=True),
    # NULL for NO_VERSIONING streams.
    Column("version", BigInteger, nullable=True),
    UniqueConstraint("uuid", "category", name="uq_event_sourcery_streams_uuid_category"),
    UniqueConstraint("name", "category", name="uq_event_sourcery_streams_name_category"),
)

events = Table(
    "event_sourcery_events",
    metadata,
    Column("position", _Id, primary_key=True, autoincrement=True),
    Column("uuid", Uuid(), nullable=False, unique=True),
    Column("stream_id", _Id, ForeignKey(streams.c.id), nullable=False),
    Column("version", BigInteger, nullable=True),
    Column("type", String(255), nullable=False),
    Column("schema_version", Integer, nullable=False, server_default="1"),
    Column("data", JsonDocument(), nullable=False),
    Column("context", JsonDocument(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("stream_id", "version", name="uq_event_sourcery_events_stream_version"),
    Index("ix_event_sourcery_events_type", "type"),
    Index("ix_event_sourcery_events_created_at", "created_at"),
    # Positions never come back after a delete (SQLite would reuse the highest rowid).
    sqlite_autoincrement=True,
)

snapshots = Table(
    "event_sourcery_snapshots",
    metadata,
    # Saving order: of two snapshots at one version, the later one wins.
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("uuid", Uuid(), nullable=False, unique=True),
    Column("stream_id", _Id, ForeignKey(streams.c.id), nullable=False),
    Column("version", BigInteger, nullable=False),
    # The position of the stream's event at ``version``: how far the snapshot sees.
    Column("position", BigInteger, nullable=False),
    Column("type", String(255), nullable=False),
    Column("schema_version", Integer, nullable=False, server_default="1"),
    Column("data", JsonDocument(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Serves "the latest snapshot" (version DESC, id DESC) as a backward scan of one entry.
    Index("ix_event_sourcery_snapshots_stream_version", "stream_id", "version", "id"),
)

checkpoints = Table(
    "event_sourcery_checkpoints",
    metadata,
    # A projection's name and the last position it processed, written in the same
    # transaction as the projection's own changes.
    Column("name", String(255), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

outbox = Table(
    "event_sourcery_outbox",
    metadata,
    # One entry per event to deliver, keyed by the event's position. No foreign key: an
    # entry (and its attempts) outlives a deleted stream, as the record of what was sent.
    Column("position", _Id, primary_key=True, autoincrement=False),
    Column("event_uuid", Uuid(), nullable=False),
    Column("stream_uuid", Uuid(), nullable=False),
    Column("category", String(255), nullable=False, server_default=""),
    Column("version", BigInteger, nullable=True),
    Column("type", String(255), nullable=False),
    # pending, delivered or dead.
    Column("status", String(16), nullable=False),
    # Attempts so far (their numbers), and failed ones since the entry was last (re)queued.
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("last_error", String, nullable=True),
    # The relay delivering the entry now, since when, and until when others keep off.
    Column("leased_by", String(255), nullable=True),
    Column("leased_at", UtcDateTime(), nullable=True),
    Column("leased_until", UtcDateTime(), nullable=True),
    # The relay's attempt that delivered the entry, kept here rather than as a row of the
    # attempts table (which holds every other attempt): its number, relay and start; it
    # finished at delivered_at. A delivery then writes one row, not two.
    Column("delivery_number", Integer, nullable=True),
    Column("delivered_by", String(255), nullable=True),
    Column("delivery_started_at", UtcDateTime(), nullable=True),
    # Claims walk the pending entries in position order and, for each, look whether an
    # earlier one of its stream is still on its way: two small indexes of pending entries
    # only, so that no other plan looks cheaper, even before the table has statistics.
    Index(
        "ix_event_sourcery_outbox_pending",
        "position",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index(
        "ix_event_sourcery_outbox_pending_stream",
        "stream_uuid",
        "category",
        "position",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    # Nothing else: every index is written again when an entry is delivered. Queries by
    # stream go through the stream's events; by status, type or time they scan.
)

# Every attempt except a relay's delivering one (on its entry's row): failures, dead ends,
# abandoned leases and replays. ``SqlOutbox.attempts`` reads both as one list.
outbox_attempts = Table(
    "event_sourcery_outbox_attempts",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    # No foreign key: an attempt is only stored with its entry's new state, in the same
    # transaction, and purges remove both; the check would cost every attempt a lookup.
    Column("position", _Id, nullable=False),
    Column("number", Integer, nullable=False),
    Column("relay_id", String(255), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    # delivered, failed, dead or abandoned (the relay died or its lease ran out).
    Column("outcome", String(16), nullable=False),
    Column("error_type", String(255), nullable=True),
    Column("error_message", String, nullable=True),
    Column("replay", Boolean, nullable=False, server_default=false()),
    Index("ix_event_sourcery_outbox_attempts_entry", "position", "number"),
)


@event.listens_for(outbox, "after_create")
def _leave_room_for_leases(target: Table, connection: Connection, **_: Any) -> None:
    """Every entry is updated twice (leased, then delivered). A lease leaves the indexes
    alone only if its new row version fits on the row's own page (a HOT update), and a
    claim leases every row of a page at once: pages filled to 40% leave room for all of
    them (at 70%, three leases in four rewrote every index). Delivered rows end up no
    more spread out: their versions reuse the room the leases leave behind."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ALTER TABLE {target.name} SET (fillfactor = 40)"))
