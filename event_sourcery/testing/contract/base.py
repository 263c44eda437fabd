"""What every part of the contract shares: the store fixture and small helpers."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import pytest

from event_sourcery.event_store import EventStore
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend, CallerTransaction
from event_sourcery.testing.events import Deposited


def versions(store: EventStore, stream: UUID | StreamId, **kwargs: Any) -> list[int | None]:
    return [e.version for e in store.load_stream(stream, **kwargs)]


def caller_transaction(backend: Backend) -> AbstractContextManager[CallerTransaction]:
    """A fresh caller-owned transaction of ``backend``; skips the test where there is none."""
    transaction = backend.caller_transaction()
    if transaction is None:
        pytest.skip(f"{backend.name} has no caller-owned transactions")
    return transaction


def deposits(*amounts: int) -> list[Deposited]:
    return [Deposited(amount=a) for a in amounts]


class BaseContract:
    """Gives each test a store over the backend under test (the subclass's ``backend``)."""

    @pytest.fixture
    def store(self, backend: Backend) -> EventStore:
        return backend.open()
