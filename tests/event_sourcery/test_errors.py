"""Errors say what happened and survive a trip to another process."""

from __future__ import annotations

import pickle
from uuid import uuid4

import pytest
from sqlalchemy.exc import OperationalError

from event_sourcery import StreamId, errors

STREAM = StreamId(uuid4(), name="orders-1", category="orders")
SAMPLES: list[errors.EventStoreError] = [
    errors.ConcurrentStreamWriteError(STREAM, 2, 3),
    errors.VersioningMismatch(STREAM, stream_is_versioned=True),
    errors.NoEventsToAppend(),
    errors.InvalidExpectedVersion(-1),
    errors.InvalidStreamId("stream_id='x' is not a stream id"),
    errors.InvalidRange("start", "2"),
    errors.StreamNameConflict(STREAM, StreamId(uuid4(), name="orders-1")),
    errors.DuplicateEventId(STREAM, "uuid 1 is already stored"),
    errors.InvalidEnvelope("created_at has no timezone"),
    errors.UndecodableEvent(STREAM, 4, 17, "OrderPlaced", "total: field required"),
    errors.DuplicateEventName("OrderPlaced", int, str),
    errors.UnknownEventType("OrderPlaced", STREAM),
    errors.UnsupportedURL("mysql://x", "'mysql' is not a supported database"),
    errors.StoreUnavailable("postgresql://x", "connection refused"),
    errors.ConnectionFailed(
        "postgresql://x",
        OperationalError("COMMIT", None, ConnectionError("server closed the connection")),
        "while committing",
        outcome_unknown=True,
    ),
    errors.InvalidSetting("sqlite_synchronous", "OFF", "'FULL' or 'NORMAL'"),
    errors.StoreBusy(STREAM, "database is locked"),
    errors.InvalidOutboxSetting("lease", "-1 is not a number of seconds > 0"),
    errors.OutboxUnsupported("MyStorage"),
    errors.EventGone(uuid4(), 7),
    errors.OutboxSchemaOutdated(
        "event_sourcery_outbox", ["delivered_by"], "no such column: delivered_by"
    ),
    errors.PublishFailed("amqp://guest:***@127.0.0.1:5672/%2F", "connection refused"),
    errors.UnsupportedSchemaVersion(STREAM, 4, 17, "OrderPlaced", "written at version 3"),
    errors.InvalidSnapshot(STREAM, 9, "the stream is at version 4"),
    errors.StateNotFound(STREAM, "version 9", "it is at version 4"),
    errors.InvalidUpcaster("OrderPlaced", "version 1 already has an upcaster"),
    errors.UnhandledEvent(int, str),
    errors.ReadOnlyAggregate(int, "as of version 3"),
    errors.SnapshotsUnsupported(int),
    errors.AggregateInUse(int),
]


def test_every_error_class_has_a_sample() -> None:
    defined = {
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.EventStoreError)
    }
    abstract = {
        errors.EventStoreError,
        errors.EventTypeError,
        errors.AggregateError,
        errors.OutboxError,
    }
    assert {type(error) for error in SAMPLES} == defined - abstract


@pytest.mark.parametrize("error", SAMPLES, ids=lambda e: type(e).__name__)
def test_errors_pickle_with_their_message_and_fields(error: errors.EventStoreError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert _comparable(clone.__dict__) == _comparable(error.__dict__)
    assert len(str(error)) > 30


def _comparable(fields: dict[str, object]) -> dict[str, object]:
    """Fields with the exceptions they hold (a driver's error) as their type and text:
    exceptions compare by identity."""
    return {
        name: (type(value), str(value)) if isinstance(value, BaseException) else value
        for name, value in fields.items()
    }
