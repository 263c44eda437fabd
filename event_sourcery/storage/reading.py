"""What readers of the whole store ask storage for, and how far they may read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
