"""What readers of the whole store ask storage for, and how far they may read."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ReadFilter:
    """Which events a read of the whole store returns; None lets everything through."""

    types: tuple[str, ...] | None = None
    """Stored type names."""
    categories: tuple[str, ...] | None = None
    """Stream categories; "" is the streams without one."""
    since: datetime | None = None
    """Recorded at or after."""
    until: datetime | None = None
    """Recorded before."""


@dataclass(frozen=True, slots=True)
class Horizon:
    """How far a reader of the whole store may go without skipping an event that has yet
    to commit."""

    position: int
    """Every event at or below this position is committed (or rolled back) and readable."""
    allocated: int
    """The highest position handed out to a writer, committed or not."""
    held_since: datetime | None = None
    """Since when writers still in flight have held readers below ``allocated``."""
    blocking: tuple[int, ...] = ()
    """The ids of the transactions holding readers back (PostgreSQL)."""

    @property
    def held_back(self) -> int:
        """How many positions readers cannot see yet."""
        return self.allocated - self.position


class Waiter(Protocol):
    """Lets a subscriber sleep until new events may have committed."""

    def wait(self, seconds: float) -> bool:
        """Block at most ``seconds``; True when woken by an append (which may not have
        committed anything new: read to find out), False when the time ran out."""
        ...

    def close(self) -> None:
        """Release what the waiter holds (a listening connection)."""
        ...


class PollingWaiter:
    """For backends that cannot say when something was appended: sleep, then look."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def wait(self, seconds: float) -> bool:
        time.sleep(max(0.0, min(seconds, self.interval)))
        return False

    def close(self) -> None:
        """Nothing to release."""
