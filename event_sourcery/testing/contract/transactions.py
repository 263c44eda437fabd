"""A store bound to a transaction the caller owns never commits it and never dirties it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from uuid import uuid4

import pytest

from event_sourcery.errors import (
    ConcurrentStreamWriteError,
    DuplicateEventId,
    EventStoreError,
    StreamNameConflict,
)
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend, CallerTransaction
from event_sourcery.testing.contract.base import BaseContract, caller_transaction, versions
from event_sourcery.testing.events import Deposited
from event_sourcery.versioning import ANY


class CallerTransactionContract(BaseContract):
    @pytest.fixture
    def transaction(self, backend: Backend) -> AbstractContextManager[CallerTransaction]:
        """The backend's caller-owned transaction; the test is skipped where there is none."""
        return caller_transaction(backend)

    def test_rolling_back_the_callers_transaction_discards_the_append(
        self, backend: Backend, transaction: AbstractContextManager[CallerTransaction]
    ) -> None:
        stream = uuid4()
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            assert versions(tx.store, stream) == [1]
            tx.rollback()
            assert tx.store.load_stream(stream) == []
        assert backend.open().load_stream(stream) == []

    def test_the_store_never_commits_the_callers_transaction(
        self, backend: Backend, transaction: AbstractContextManager[CallerTransaction]
    ) -> None:
        stream = uuid4()
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            assert backend.open().load_stream(stream) == []
            tx.commit()
        assert versions(backend.open(), stream) == [1]

    def test_a_failed_batch_in_the_callers_transaction_writes_nothing(
        self, backend: Backend, transaction: AbstractContextManager[CallerTransaction]
    ) -> None:
        taken, stream = uuid4(), uuid4()
        store = backend.open()
        store.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
        store.append(Deposited(amount=1), stream_id=stream)
        with transaction as tx:
            with pytest.raises(DuplicateEventId):
                tx.store.append(
                    Deposited(amount=2),
                    Envelope(event=Deposited(amount=3), uuid=taken),
                    stream_id=stream,
                    expected_version=1,
                )
            try:  # a caller that commits anyway must not store half an append
                tx.commit()
            except Exception:
                tx.rollback()
        assert versions(store, stream) == [1]
        store.append(Deposited(amount=2), stream_id=stream, expected_version=1)

    def test_a_refused_append_leaves_the_callers_transaction_usable(
        self, backend: Backend, transaction: AbstractContextManager[CallerTransaction]
    ) -> None:
        taken, name = uuid4(), f"held-{uuid4()}"
        setup = backend.open()
        setup.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
        setup.append(Deposited(amount=0), stream_id=StreamId(uuid4(), name=name))
        stream = uuid4()
        refusals: list[tuple[type[EventStoreError], Callable[[EventStore], None]]] = [
            (
                ConcurrentStreamWriteError,
                lambda s: s.append(Deposited(amount=9), stream_id=stream, expected_version=5),
            ),
            (
                DuplicateEventId,
                lambda s: s.append(
                    Envelope(event=Deposited(amount=9), uuid=taken),
                    stream_id=stream,
                    expected_version=1,
                ),
            ),
            (
                StreamNameConflict,
                lambda s: s.append(
                    Deposited(amount=9),
                    stream_id=StreamId(uuid4(), name=name),
                    expected_version=ANY,
                ),
            ),
        ]
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            for error, refuse in refusals:
                with pytest.raises(error):
                    refuse(tx.store)
            tx.store.append(Deposited(amount=2), stream_id=stream, expected_version=1)
            tx.commit()
        assert versions(backend.open(), stream) == [1, 2]
