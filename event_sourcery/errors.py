"""Every error the library raises, each naming what went wrong and what to do.

EventStoreError
├── ConcurrentStreamWriteError   the stream was not at the expected version
├── VersioningMismatch           versioned and versionless appends mixed on one stream
├── NoEventsToAppend             append() called with no events
├── InvalidExpectedVersion       expected_version is neither an int >= 0, ANY nor NO_VERSIONING
├── StreamNameConflict           one stream name bound to two different uuids
├── DuplicateEventId             an event uuid that is already stored
├── InvalidEnvelope              an envelope that cannot be stored (naive time, NUL, bad field)
├── InvalidStreamId              a stream id that is not a UUID/StreamId, or an unusable name
├── InvalidRange                 a version, bound, moment, limit or filter that is not one
├── UndecodableEvent             a stored row its registered class cannot read (or bad JSON)
│   └── UnsupportedSchemaVersion a row written at a schema version the code cannot reach
├── InvalidSnapshot              a snapshot at a version the stream does not have
├── StateNotFound                time travel to a version or moment the stream never had
├── EventTypeError
│   ├── DuplicateEventName       two event classes registered under one name
│   ├── UnknownEventType         a stored type name no registered class answers to
│   └── InvalidUpcaster          a bad schema version or upcaster registration
├── AggregateError
│   ├── UnhandledEvent           an aggregate given an event it has no handler for
│   ├── ReadOnlyAggregate        an aggregate loaded for time travel asked to emit
│   ├── AggregateInUse           an aggregate already loaded (or with unsaved events) reused
│   └── SnapshotsUnsupported     a snapshot policy on an aggregate that cannot snapshot
├── UnsupportedURL               connect() was given a URL it cannot open
├── StoreUnavailable             the database did not answer
│   └── ConnectionFailed         ... or its connection broke (also SQLAlchemy's OperationalError)
├── InvalidSetting               a setting of connect() that is not one (sqlite_synchronous)
├── StoreBusy                    SQLite's write lock could not be had in time
└── OutboxError
    ├── InvalidOutboxSetting     a retry policy, lease, limit or selection that is not one
    ├── OutboxUnsupported        a storage backend without an outbox
    ├── OutboxSchemaOutdated     outbox tables from an earlier version, not yet upgraded
    ├── EventGone                an outbox entry whose event was deleted before delivery
    └── PublishFailed            a publisher could not hand an event over (broker down...)

SnapshotSkipped (a UserWarning) reports a snapshot that was passed over for the events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, OperationalError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from event_sourcery.streams import StreamId


class EventStoreError(Exception):
    """Base of every error raised by Event Sourcery."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take their own arguments, not the message: rebuild from the state, so
        # that errors cross process boundaries (multiprocessing, task queues) intact.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[EventStoreError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConcurrentStreamWriteError(EventStoreError):
    """The stream moved on since the caller read it: reload and retry."""

    def __init__(self, stream_id: StreamId, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id} is at version {actual}, not the expected {expected}: "
            "another writer got there first; reload the stream and retry"
        )


class VersioningMismatch(EventStoreError):
    """A versionless stream got a versioned append, or the other way round."""

    def __init__(self, stream_id: StreamId, stream_is_versioned: bool) -> None:
        self.stream_id = stream_id
        self.stream_is_versioned = stream_is_versioned
        if stream_is_versioned:
            kind, other = "versioned", "NO_VERSIONING"
        else:
            kind, other = "versionless (NO_VERSIONING)", "an expected version"
        super().__init__(
            f"stream {stream_id} is {kind}; it cannot take an append with {other}: "
            "use the same versioning for every append to one stream"
        )


class NoEventsToAppend(EventStoreError):
    """append() needs at least one event."""

    def __init__(self) -> None:
        super().__init__("append() was called without events: pass at least one event")


class InvalidExpectedVersion(EventStoreError):
    """expected_version must be an int >= 0, ANY or NO_VERSIONING."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(
            f"expected_version={value!r} is not valid: use an int >= 0 "
            "(0 means the stream must not exist yet), ANY or NO_VERSIONING"
        )


class StreamNameConflict(EventStoreError):
    """A stream name is already bound to another stream uuid."""

    def __init__(self, stream_id: StreamId, existing: StreamId | None) -> None:
        self.stream_id = stream_id
        self.existing = existing
        owner = "another stream uuid" if existing is None else str(existing.uuid)
        super().__init__(
            f"stream name {stream_id.name!r} already belongs to {owner}, not {stream_id.uuid}: "
            "a name identifies one stream; use StreamId(name=...) alone or another name"
        )


class DuplicateEventId(EventStoreError):
    """An appended event carries a uuid the store already holds."""

    def __init__(self, stream_id: StreamId, detail: str) -> None:
        self.stream_id = stream_id
        super().__init__(
            f"append to stream {stream_id} carries an event uuid that is already stored "
            f"({detail}); nothing was written: give each event a fresh uuid"
        )


class InvalidEnvelope(EventStoreError):
    """An envelope the store refuses to write."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"cannot append: {problem}; nothing was written")


class InvalidStreamId(EventStoreError, ValueError):
    """What was passed as a stream id cannot identify a stream (or cannot be stored)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"{problem}: pass a uuid.UUID or a StreamId(uuid, name=..., category=...) whose "
            "name and category are non-empty text without NUL characters or lone "
            "surrogates, the name at most 1024 bytes in UTF-8 and the category at most "
            "255 characters"
        )


class InvalidRange(EventStoreError, ValueError):
    """A version, range bound, moment, limit or filter that is not one (a str, a naive
    datetime, categories given as one str...)."""

    def __init__(
        self, label: str, value: object, problem: str = "not a version: use an int or None"
    ) -> None:
        super().__init__(f"{label}={value!r} is {problem}")


class UndecodableEvent(EventStoreError):
    """A stored event whose registered class rejects its payload or context (schema drift,
    malformed JSON, a row written by something else)."""

    def __init__(
        self,
        stream_id: StreamId,
        version: int | None,
        position: int,
        type_name: str,
        reason: str,
        *,
        snapshot: bool = False,
        uuid: UUID | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.version = version
        self.position = position
        self.type_name = type_name
        self.snapshot = snapshot
        self.uuid = uuid
        what, raw_read = (
            ("snapshot", "snapshots_raw")
            if snapshot
            else ("event", "load_stream_raw, read_all_raw or event_raw")
        )
        super().__init__(
            f"{_row(what, uuid, position, stream_id, version)} of type {type_name!r} cannot "
            f"be decoded: {reason}. Read it with {raw_read}, or fix the class (or register "
            "an upcaster) so that it accepts the stored row"
        )


class UnsupportedSchemaVersion(UndecodableEvent):
    """A row's schema version is newer than its class, or no upcaster chain reaches it."""


class InvalidSnapshot(EventStoreError, ValueError):
    """save_snapshot was given a version the stream has not reached (or cannot have)."""

    def __init__(self, stream_id: StreamId, version: object, reason: str) -> None:
        self.stream_id = stream_id
        self.version = version
        super().__init__(
            f"cannot store a snapshot of stream {stream_id} at version {version!r}: {reason}"
        )

    @classmethod
    def unreached(
        cls, stream_id: StreamId, version: int, exists: bool, stream_version: int | None
    ) -> InvalidSnapshot:
        """The refusal for a stream that has no event at ``version``, saying where it is."""
        if not exists:
            reason = "the stream does not exist; append its events first"
        elif stream_version is None:
            reason = "the stream is versionless, and only versioned streams have snapshots"
        else:
            reason = f"the stream is at version {stream_version}; snapshot a version it has"
        return cls(stream_id, version, reason)


class StateNotFound(EventStoreError, LookupError):
    """Time travel asked for a version past the end or a moment before the first event."""

    def __init__(self, stream_id: StreamId, requested: object, reason: str) -> None:
        self.stream_id = stream_id
        self.requested = requested
        super().__init__(
            f"stream {stream_id} has no state at {requested}: {reason}. "
            "Ask for a version between 1 and the stream's version, or a later moment"
        )


class EventTypeError(EventStoreError):
    """Problems with event classes and their registered names."""


class DuplicateEventName(EventTypeError):
    """Two different classes claim one event name."""

    def __init__(self, name: str, existing: type, new: type) -> None:
        self.name = name
        super().__init__(
            f"event name {name!r} is taken by {existing.__module__}.{existing.__qualname__}; "
            f"{new.__module__}.{new.__qualname__} cannot register under it: "
            "set a distinct __event_name__ on one of them"
        )


class UnknownEventType(EventTypeError):
    """A stored event's type name has no registered class."""

    def __init__(
        self,
        type_name: str,
        stream_id: StreamId | None = None,
        *,
        position: int | None = None,
        version: int | None = None,
        uuid: UUID | None = None,
        snapshot: bool = False,
    ) -> None:
        self.type_name = type_name
        self.stream_id = stream_id
        self.position = position
        self.version = version
        self.uuid = uuid
        if position is not None:
            what = "snapshot" if snapshot else "event"
            where = f" ({_row(what, uuid, position, stream_id, version)})"
        else:
            where = f" in stream {stream_id}" if stream_id is not None else ""
        super().__init__(
            f"no event class is registered as {type_name!r}{where}: import the module that "
            "defines it, or read the stream raw (load_stream_raw, read_all_raw) to see the "
            "stored payload"
        )


def _row(
    what: str, uuid: UUID | None, position: int, stream: StreamId | None, version: int | None
) -> str:
    """A stored row as errors name it: what it is, its uuid, position, stream and version."""
    event = "" if uuid is None else f", uuid {uuid}"
    return f"{what} at position {position} (stream {stream}, version {version}{event})"


class InvalidUpcaster(EventTypeError, ValueError):
    """A schema version or an upcaster that cannot be registered as given."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        super().__init__(
            f"event {name!r}: {problem}. Schema versions count from 1 and each version "
            "has at most one upcaster, which takes and returns a payload dict"
        )


class AggregateError(EventStoreError):
    """An aggregate used in a way it does not support."""


class UnhandledEvent(AggregateError, TypeError):
    """An aggregate was given an event type it has no handler for."""

    def __init__(self, aggregate: type, event: type) -> None:
        self.aggregate = aggregate
        self.event = event
        super().__init__(
            f"{aggregate.__qualname__} has no handler for {event.__qualname__}: add a method "
            f"decorated with @applies({event.__qualname__}), or handle it in __apply__"
        )


class ReadOnlyAggregate(AggregateError):
    """An aggregate loaded as it was in the past cannot emit new events."""

    def __init__(self, aggregate: type, as_of: str) -> None:
        self.aggregate = aggregate
        super().__init__(
            f"this {aggregate.__qualname__} was loaded read-only {as_of}: it cannot emit "
            "events; change the stream through Repository.aggregate(...) instead"
        )


class AggregateInUse(AggregateError):
    """The repository was given an aggregate instance that was already loaded."""

    def __init__(self, aggregate: type) -> None:
        self.aggregate = aggregate
        super().__init__(
            f"this {aggregate.__qualname__} was already loaded from a stream or holds events "
            "not yet saved: loading the stream into it would apply events twice; pass a new "
            f"{aggregate.__qualname__}()"
        )


class SnapshotsUnsupported(AggregateError):
    """A snapshot policy met an aggregate that does not say how to snapshot itself."""

    def __init__(self, aggregate: type) -> None:
        self.aggregate = aggregate
        super().__init__(
            f"{aggregate.__qualname__} cannot be snapshotted: define __snapshot__ (state to "
            "a snapshot event) and __restore__ (the event back to state), or drop the policy"
        )


class SnapshotSkipped(UserWarning):
    """A stored snapshot could not be used (its class changed shape): the events are replayed
    instead, so the state is still right, only slower to rebuild."""


class UnsupportedURL(EventStoreError):
    """connect() could not make sense of its URL."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"cannot open event store at {url!r}: {reason}. Use 'sqlite:///path.db', "
            "'postgresql+psycopg://user@host/db' or 'memory://'"
        )


class StoreUnavailable(EventStoreError):
    """The database could not be reached or refused the connection."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        super().__init__(
            f"cannot reach the event store database at {where}: {reason}. "
            "Check that the server runs and the URL, user and database are right"
        )


class ConnectionFailed(StoreUnavailable, OperationalError):
    """``StoreUnavailable`` for a call whose connection could not be had (``during`` is
    None) or broke in use (the server restarted, a proxy or the network dropped it). It is
    SQLAlchemy's ``OperationalError`` too, flagged ``connection_invalidated`` when the
    connection broke, as the driver's error was before, so that handlers of either kind
    catch it. The store reconnects by itself: the pool's connections are replaced.

    ``outcome_unknown``: it broke while committing, after the server may have committed
    (a lost acknowledgement): an append is safe to retry with the same event uuids.
    """

    def __init__(
        self,
        where: str,
        error: DBAPIError,
        during: str | None = None,
        *,
        outcome_unknown: bool = False,
    ) -> None:
        OperationalError.__init__(
            self,
            error.statement,
            error.params,
            error.orig if error.orig is not None else error,
            hide_parameters=error.hide_parameters,
            connection_invalidated=during is not None,
            ismulti=error.ismulti,
        )
        self.where = where
        self.during = during
        self.outcome_unknown = outcome_unknown
        reason = (str(error.orig).strip() or repr(error.orig)).splitlines()[0]
        if during is None:
            message = (
                f"cannot reach the event store database at {where}: {reason}. Nothing was "
                "done. Check that the server runs and the URL, user and database are "
                "right; the next call connects again by itself"
            )
        elif outcome_unknown:
            message = (
                f"the connection to the event store database at {where} broke {during} "
                f"({reason}): the outcome is unknown, the write may or may not be stored. "
                "If it was an append, retrying it is safe with the same event uuids "
                "(Envelope(event, uuid=...)) and the same expected_version: if the first "
                "attempt was stored, the retry stores nothing twice and returns (an "
                "outbox relay redelivers what it cannot tell was recorded). The next call "
                "reconnects by itself"
            )
        else:
            message = (
                f"the connection to the event store database at {where} broke {during} "
                f"({reason}): nothing was written (an unfinished transaction is rolled "
                "back). The next call reconnects by itself: retry once the server answers"
            )
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidSetting(EventStoreError, ValueError):
    """A setting that is not one of those the store knows."""

    def __init__(self, setting: str, value: object, choices: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}={value!r} is not a setting the store knows: use {choices}")


class StoreBusy(EventStoreError):
    """Another writer held SQLite's write lock (or moved past this transaction's snapshot)."""

    def __init__(self, stream_id: StreamId, reason: str) -> None:
        self.stream_id = stream_id
        super().__init__(
            f"append to stream {stream_id} could not take the database's write lock ({reason}): "
            "nothing was written; retry the unit of work. On an engine of your own, begin "
            "write transactions IMMEDIATE (as connect() does) so that writers queue instead"
        )


class OutboxError(EventStoreError):
    """Base of the outbox's errors."""


class InvalidOutboxSetting(OutboxError, ValueError):
    """A retry policy, lease, batch limit or selection the outbox cannot use."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"invalid outbox {setting}: {problem}")


class OutboxUnsupported(OutboxError):
    """The storage backend keeps no outbox."""

    def __init__(self, backend: str) -> None:
        super().__init__(
            f"{backend} has no outbox: implement Storage.outbox() to deliver events from it"
        )


class OutboxSchemaOutdated(OutboxError):
    """The outbox table lacks columns this version writes (made by an earlier version,
    where ``create_tables=False`` left the upgrade to the caller's migrations)."""

    def __init__(self, table: str, columns: Sequence[str], reason: str) -> None:
        self.table = table
        self.columns = tuple(columns)
        super().__init__(
            f"{table} lacks columns this version writes ({', '.join(columns)}): {reason}. "
            "connect() or create_schema() adds them; with migrations, add them as the "
            "README's Upgrading paragraph shows. Nothing was claimed"
        )


class EventGone(OutboxError):
    """An outbox entry's event is no longer stored: its stream was deleted first."""

    def __init__(self, event_uuid: UUID, position: int) -> None:
        self.event_uuid = event_uuid
        self.position = position
        super().__init__(
            f"event {event_uuid} (position {position}) is no longer stored: its stream was "
            "deleted before the event was delivered, so the entry is dead"
        )


class PublishFailed(OutboxError):
    """A publisher could not hand an event over; the relay records the failed attempt and
    tries again later (nothing is lost)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"cannot publish to {url}: {reason}. The event stays in the outbox and is "
            "published again later; check that the broker runs and that the URL, user and "
            "exchange are right"
        )
