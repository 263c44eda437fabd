"""A store bound to a transaction the caller owns never commits it and never dirties it."""

from __future__ import annotations

from uuid import uuid4

import pytest

from event_sourcery.errors import (
    DuplicateEventId,
)
from event_sourcery.records import Envelope
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, versions
from event_sourcery.testing.events import Deposited


class CallerTransactionContract(BaseContract):
    def test_rolling_back_the_callers_transaction_discards_the_append(
        self, backend: Backend
    ) -> None:
        transaction = backend.caller_transaction()
        if transaction is None:
            pytest.skip(f"{backend.name} has no caller-owned transactions")
        stream = uuid4()
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            assert versions(tx.store, stream) == [1]
            tx.rollback()
            assert tx.store.load_stream(stream) == []
        assert backend.open().load_stream(stream) == []

    def test_the_store_never_commits_the_callers_transaction(self, backend: Backend) -> None:
        transaction = backend.caller_transaction()
        if transaction is None:
            pytest.skip(f"{backend.name} has no caller-owned transactions")
        stream = uuid4()
        with transaction as tx:
            tx.store.append(Deposited(amount=1), stream_id=stream)
            assert backend.open().load_stream(stream) == []
            tx.commit()
        assert versions(backend.open(), stream) == [1]

    def test_a_failed_batch_in_the_callers_transaction_writes_nothing(
        self, backend: Backend
    ) -> None:
        transaction = backend.caller_transaction()
        if transaction is None:
            pytest.skip(f"{backend.name} has no caller-owned transactions")
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
