"""Catch-up subscriptions: every event after a position, then new ones as they commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

from event_sourcery.errors import InvalidRange
from event_sourcery.event import Event
from event_sourcery.records import Recorded
from event_sourcery.subscriptions.retrying import Outage, is_transient, log
from event_sourcery.versioning import is_whole

if TYPE_CHECKING:
    from event_sourcery.event_store import EventStore

_STOP_CHECK = 0.25
"""The longest a subscriber sleeps before it looks at its stop signal again."""


class Subscription(Iterator[list[Recorded[Event]]]):
    """Yields batches of events in position order: first those already stored after
    ``after``, then new ones as they commit (woken by the backend, or polling).

    Iteration ends when ``stop()`` is called or ``stop_event`` is set, or when nothing
    new has come for ``timeout`` seconds. Waiting never spins: it sleeps until woken.
    A database that goes away (a restart, a dropped connection) is logged and read again
    every ``poll_interval`` seconds; past ``timeout`` its error is raised.
    ``position`` is the last position delivered (or passed over by the filters).
    """

    def __init__(
        self,
        store: EventStore,
        after: int = 0,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        timeout: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        if not is_whole(batch_size, 1):
            raise InvalidRange("batch_size", batch_size, "not a batch size: use an int >= 1")
        for label, seconds in (("poll_interval", poll_interval), ("timeout", timeout)):
            if seconds is not None and not (isinstance(seconds, int | float) and seconds > 0):
                raise InvalidRange(label, seconds, "not a number of seconds > 0")
        store.read_all_raw(after, 0)  # refuses a bad position now, not at the first batch
        self.store = store
        self.position = after
        self._types = None if types is None else tuple(types)
        self._categories = None if categories is None else tuple(categories)
        self._batch_size = batch_size
        self._timeout = timeout
        self._poll_interval = poll_interval
        self._stop = stop_event or threading.Event()
        self._waiter = store.storage.waiter(poll_interval)
        self._outage = Outage(log, f"subscription from position {after}")

    def __next__(self) -> list[Recorded[Event]]:
        idle_since = time.monotonic()
        while not self._stop.is_set():
            try:
                batch = self._read()
                self._outage.recovered()
                if batch:
                    return batch
                if not self._sleep(idle_since):
                    break
            except Exception as error:
                if is_transient(error):
                    self._outage.failed(error)
                    if self._back_off(idle_since):
                        continue
                self._waiter.close()  # no connection held while the caller decides
                raise
        self.close()
        raise StopIteration

    def _back_off(self, idle_since: float) -> bool:
        """After a database failure (a restart, a dropped connection): wait a poll interval
        (or until stopped) before reading again; False when the timeout has run out, for
        the failure to reach the caller rather than pass for a quiet store."""
        wait = self._poll_interval
        if self._timeout is not None:
            wait = min(wait, idle_since + self._timeout - time.monotonic())
        if wait <= 0:
            return False
        self._stop.wait(wait)
        return True

    def _sleep(self, idle_since: float) -> bool:
        """Sleep until woken, the poll interval is up or the stop signal is set (looking
        at it every quarter second); False when the timeout has run out or stop is set."""
        now = time.monotonic()
        poll_at = now + self._poll_interval
        give_up_at = None if self._timeout is None else idle_since + self._timeout
        while not self._stop.is_set():
            until = poll_at if give_up_at is None else min(poll_at, give_up_at)
            if until - now <= 0:
                break
            if self._waiter.wait(min(until - now, _STOP_CHECK)):
                return True
            now = time.monotonic()
        return not self._stop.is_set() and (give_up_at is None or now < give_up_at)

    def _read(self) -> list[Recorded[Event]]:
        page = self.store.read_page(
            self.position, self._batch_size, types=self._types, categories=self._categories
        )
        self.position = page.position  # past what the filters left out, too
        return page.events

    def stop(self) -> None:
        """End the iteration at the next look (from any thread)."""
        self._stop.set()

    def close(self) -> None:
        """Stop and release the listening connection."""
        self._stop.set()
        self._waiter.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
