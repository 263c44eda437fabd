"""The workbench's errors. Every one is a ``WorkbenchError``; each also subclasses the
built-in error it refines, so generic handlers keep working::

    WorkbenchError
    ├── InvalidFilter (ValueError)        a filter or argument the workbench cannot use
    ├── ReadOnlyWorkbench (PermissionError) a write (replay) asked of a read-only workbench
    ├── StateNotFound (LookupError)       no state at that version or moment of a stream
    │   └── CannotFoldPast                an aggregate's state at or after an undecodable event
    ├── StoreNotFound (LookupError)       no event store at the URL opened
    ├── NoAggregateFor (LookupError)      no aggregate class rebuilds that stream
    └── CannotListen (OSError)            the dashboard cannot listen at that address and port
"""

from __future__ import annotations

from event_sourcery import RawEvent, StreamId


class WorkbenchError(Exception):
    """Base of every error the workbench raises itself."""


class InvalidFilter(WorkbenchError, ValueError):
    """A filter or argument the workbench cannot use; the message names it."""


class ReadOnlyWorkbench(WorkbenchError, PermissionError):
    """A write asked of a read-only workbench."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"{action} writes to the store; open the workbench with read_only=False to allow it"
        )


class StateNotFound(WorkbenchError, LookupError):
    """A stream has no state at the version or moment asked for."""

    def __init__(self, stream: StreamId, reason: str) -> None:
        self.stream = stream
        super().__init__(f"stream {stream.name or stream.uuid}: {reason}")


class CannotFoldPast(StateNotFound):
    """An aggregate's state asked for at or after a stored event that cannot be decoded:
    the aggregate cannot apply it, so it has no state from that version on."""

    def __init__(
        self,
        stream: StreamId,
        requested: int,
        *,
        version: int,
        row: RawEvent,
        aggregate: str,
        reason: str,
    ) -> None:
        self.requested = requested
        self.version = version
        self.position = row.position
        self.uuid = row.uuid
        super().__init__(
            stream,
            f"no state at version {requested} rebuilt by {aggregate}: it cannot fold past "
            f"version {version} (position {row.position}, uuid {row.uuid}), whose event "
            f"cannot be decoded. The store says: {reason}. The states before version "
            f"{version} are there; timeline(stream) without an aggregate merges the payloads "
            "past it",
        )


class NoAggregateFor(WorkbenchError, LookupError):
    """No aggregate class is known to rebuild a stream (or a snapshot's state)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"no aggregate class rebuilds {what}: pass aggregate=YourAggregate, or name the "
            "module that defines it in Workbench.open(..., app=...)"
        )


class StoreNotFound(WorkbenchError, LookupError):
    """The URL opened holds no event store (no such SQLite file, or no tables)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"no event store at {where}: {reason} (build one with `python -m workbench demo "
            "--db demo.db`, or point at a store your application writes)"
        )


class CannotListen(WorkbenchError, OSError):
    """The dashboard's server could not listen at the address and port asked for (the port
    is taken, the address is not this machine's...); the message says what to change."""

    def __init__(self, address: str, port: int, reason: str) -> None:
        self.address = address
        self.port = port
        super().__init__(f"cannot serve at {address}:{port}: {reason}")
