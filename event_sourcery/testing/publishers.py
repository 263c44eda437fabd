"""A publisher for tests: remembers what it was given and fails on request."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from event_sourcery.event import Event
from event_sourcery.records import Recorded


class BrokerDown(ConnectionError):
    """What ``RecordingPublisher`` raises for an event it is told to fail."""


class RecordingPublisher:
    """Keeps every event it publishes; ``fail(uuid, times)`` makes the next ``times``
    attempts for that event raise ``BrokerDown``; ``down`` fails every attempt."""

    def __init__(self) -> None:
        self.published: list[Recorded[Event]] = []
        self.down = False
        self._failures: Counter[UUID] = Counter()
        self.calls = 0

    def fail(self, uuid: UUID, times: int = 1) -> None:
        self._failures[uuid] += times

    def __call__(self, record: Recorded[Event]) -> None:
        self.calls += 1
        if self.down:
            raise BrokerDown("the broker is down")
        if self._failures[record.uuid] > 0:
            self._failures[record.uuid] -= 1
            raise BrokerDown(f"refused {record.uuid}")
        self.published.append(record)

    @property
    def positions(self) -> list[int]:
        return [record.position for record in self.published]
