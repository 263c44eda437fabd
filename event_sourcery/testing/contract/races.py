"""Real races: many writers, one stream, exactly one winner per version."""

from __future__ import annotations

import threading
from typing import ClassVar
from uuid import UUID, uuid4

import pytest

from event_sourcery.event_store import EventStore
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, versions
from event_sourcery.testing.events import Deposited
from event_sourcery.testing.race import CONFLICT, WIN, RaceResult, race_processes, race_threads
from event_sourcery.versioning import ANY


class RaceContract(BaseContract):
    race_writers: ClassVar[int] = 8
    race_rounds: ClassVar[int] = 100

    def _assert_one_winner_per_round(
        self, result: RaceResult, store: EventStore, stream: UUID
    ) -> None:
        for round_ in range(self.race_rounds):
            assert result.outcomes[round_] == {WIN: 1, CONFLICT: self.race_writers - 1}, round_
        assert versions(store, stream) == list(range(1, self.race_rounds + 1))
        amounts = [e.event.amount for e in store.load_stream(stream)]  # type: ignore[attr-defined]
        assert amounts == list(range(self.race_rounds))

    def test_racing_threads_get_exactly_one_winner_per_round(self, store: EventStore) -> None:
        stream = uuid4()
        result = race_threads(store, stream, self.race_writers, self.race_rounds)
        self._assert_one_winner_per_round(result, store, stream)

    def test_racing_processes_get_exactly_one_winner_per_round(self, backend: Backend) -> None:
        url = backend.url()
        if url is None:
            pytest.skip(f"{backend.name} cannot be opened from another process")
        stream = uuid4()
        result = race_processes(url, stream, self.race_writers, self.race_rounds)
        self._assert_one_winner_per_round(result, backend.open(), stream)

    def test_concurrent_any_appends_never_share_a_version(self, store: EventStore) -> None:
        stream, writers, each = uuid4(), 8, 25
        barrier = threading.Barrier(writers)

        def writer() -> None:
            barrier.wait()
            for _ in range(each):
                store.append(Deposited(amount=1), stream_id=stream, expected_version=ANY)

        threads = [threading.Thread(target=writer) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert versions(store, stream) == list(range(1, writers * each + 1))
