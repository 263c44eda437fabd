"""Event Sourcery: an event store for event sourcing, CQRS and event-driven systems.

Quick start::

    from event_sourcery import configure_models, get_event_store, Event
    configure_models(Base)
    event_store = get_event_store(session)
    event_store.append(CustomerSubscribed(plan_id=1, model="yearly"), stream_id=uuid4())
    session.commit()
"""

from event_sourcery.bulk import collector_paused
from event_sourcery.connect import connect, create_schema, get_event_store, get_outbox
from event_sourcery.context import Context, Enricher
from event_sourcery.errors import (
    AggregateError,
    AggregateInUse,
    ConcurrentStreamWriteError,
    ConnectionFailed,
    DuplicateEventId,
    DuplicateEventName,
    EventStoreError,
    EventTypeError,
    InvalidEnvelope,
    InvalidExpectedVersion,
    InvalidOutboxSetting,
    InvalidRange,
    InvalidSetting,
    InvalidSnapshot,
    InvalidStreamId,
    InvalidUpcaster,
    NoEventsToAppend,
    OutboxError,
    OutboxSchemaOutdated,
    OutboxUnsupported,
    PublishFailed,
    ReadOnlyAggregate,
    SnapshotSkipped,
    SnapshotsUnsupported,
    StateNotFound,
    StoreBusy,
    StoreUnavailable,
    StreamNameConflict,
    UndecodableEvent,
    UnhandledEvent,
    UnknownEventType,
    UnsupportedSchemaVersion,
    UnsupportedURL,
    VersioningMismatch,
)
from event_sourcery.event import Event, event_name
from event_sourcery.event_sourcing import (
    Aggregate,
    AggregateStream,
    EveryNEvents,
    Repository,
    SnapshotPolicy,
    applies,
)
from event_sourcery.event_store import EventStore
from event_sourcery.models import Models, configure_models
from event_sourcery.outbox.entries import (
    Attempt,
    EntryStatus,
    OutboxEntry,
    OutboxFilter,
    Outcome,
    Selection,
)
from event_sourcery.outbox.outbox import Outbox, ReplayReport
from event_sourcery.outbox.relay import OutboxRelay, Publisher, RelayReport
from event_sourcery.outbox.retry import RetryPolicy
from event_sourcery.records import (
    Envelope,
    Page,
    RawEvent,
    Recorded,
    RecordedSnapshot,
    StreamInfo,
)
from event_sourcery.registry import EventRegistry, Upcaster, default_registry, upcaster
from event_sourcery.storage.memory import InMemoryStorage
from event_sourcery.storage.outbox import OutboxStorage
from event_sourcery.storage.protocol import NewEvent, Storage
from event_sourcery.storage.reading import Horizon, ReadFilter
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.stored_time import UnreadableTime
from event_sourcery.streams import StreamId
from event_sourcery.subscriptions import (
    Listener,
    Listeners,
    Projection,
    ProjectionLag,
    Subscription,
)
from event_sourcery.versioning import ANY, MAX_VERSION, NO_VERSIONING, ExpectedVersion, Versioning

__all__ = [
    "ANY",
    "MAX_VERSION",
    "NO_VERSIONING",
    "Aggregate",
    "AggregateError",
    "AggregateInUse",
    "AggregateStream",
    "Attempt",
    "ConcurrentStreamWriteError",
    "ConnectionFailed",
    "Context",
    "DuplicateEventId",
    "DuplicateEventName",
    "Enricher",
    "EntryStatus",
    "Envelope",
    "Event",
    "EventRegistry",
    "EventStore",
    "EventStoreError",
    "EventTypeError",
    "EveryNEvents",
    "ExpectedVersion",
    "Horizon",
    "InMemoryStorage",
    "InvalidEnvelope",
    "InvalidExpectedVersion",
    "InvalidOutboxSetting",
    "InvalidRange",
    "InvalidSetting",
    "InvalidSnapshot",
    "InvalidStreamId",
    "InvalidUpcaster",
    "Listener",
    "Listeners",
    "Models",
    "NewEvent",
    "NoEventsToAppend",
    "Outbox",
    "OutboxEntry",
    "OutboxError",
    "OutboxFilter",
    "OutboxRelay",
    "OutboxSchemaOutdated",
    "OutboxStorage",
    "OutboxUnsupported",
    "Outcome",
    "Page",
    "Projection",
    "ProjectionLag",
    "PublishFailed",
    "Publisher",
    "RawEvent",
    "ReadFilter",
    "ReadOnlyAggregate",
    "Recorded",
    "RecordedSnapshot",
    "RelayReport",
    "ReplayReport",
    "Repository",
    "RetryPolicy",
    "Selection",
    "SnapshotPolicy",
    "SnapshotSkipped",
    "SnapshotsUnsupported",
    "SqlStorage",
    "StateNotFound",
    "Storage",
    "StoreBusy",
    "StoreUnavailable",
    "StreamId",
    "StreamInfo",
    "StreamNameConflict",
    "Subscription",
    "UndecodableEvent",
    "UnhandledEvent",
    "UnknownEventType",
    "UnreadableTime",
    "UnsupportedSchemaVersion",
    "UnsupportedURL",
    "Upcaster",
    "Versioning",
    "VersioningMismatch",
    "applies",
    "collector_paused",
    "configure_models",
    "connect",
    "create_schema",
    "default_registry",
    "event_name",
    "get_event_store",
    "get_outbox",
    "upcaster",
]
