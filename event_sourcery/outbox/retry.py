"""When a failed delivery is tried again, and when the outbox gives up on it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from event_sourcery.errors import InvalidOutboxSetting


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: after the n-th failure in a row the next attempt waits
    ``min(cap, base * 2 ** (n - 1))`` seconds, less up to ``jitter`` of it at random (so
    that relays do not retry in lockstep); the ``max_attempts``-th failure makes the entry
    dead."""

    base: float = 1.0
    cap: float = 300.0
    max_attempts: int = 10
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not self.base > 0 or not self.cap >= self.base:
            problem = f"need 0 < base <= cap, got base={self.base!r}, cap={self.cap!r}"
            raise InvalidOutboxSetting("retry policy", problem)
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise InvalidOutboxSetting("max_attempts", f"{self.max_attempts!r} is not an int")
        if self.max_attempts < 1:
            raise InvalidOutboxSetting("max_attempts", "at least one attempt is needed")
        if not 0 <= self.jitter <= 1:
            raise InvalidOutboxSetting("jitter", f"{self.jitter} is not between 0 and 1")

    def delay(self, failures: int) -> timedelta:
        """How long to wait after ``failures`` failed attempts in a row."""
        seconds = min(self.cap, self.base * 2.0 ** min(failures - 1, 62))
        if self.jitter:
            seconds -= seconds * self.jitter * random.random()
        return timedelta(seconds=seconds)

    def gives_up(self, failures: int) -> bool:
        """True when ``failures`` failed attempts in a row are as many as allowed."""
        return failures >= self.max_attempts
