"""What the contract suite needs to know about a backend under test."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from event_sourcery.event_store import EventStore
from event_sourcery.registry import EventRegistry


class CallerTransaction(Protocol):
    """A caller-owned transaction (a SQLAlchemy Session, say) with a store bound to it."""

    store: EventStore

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Backend(Protocol):
    """A harness around one backend. Capabilities the backend lacks return None."""

    name: str

    def open(self, registry: EventRegistry | None = None) -> EventStore:
        """A store over this backend's (empty at the start of each test) storage."""
        ...

    def caller_transaction(self) -> AbstractContextManager[CallerTransaction] | None:
        """A store bound to a transaction the caller commits, or None if there is none."""
        ...

    def url(self) -> str | None:
        """A URL that ``connect()`` opens from another process, or None."""
        ...
