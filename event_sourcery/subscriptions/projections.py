"""Projections: a handler plus a checkpoint, applied a batch per transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from event_sourcery.errors import InvalidRange
from event_sourcery.event import Event
from event_sourcery.records import Page, Recorded
from event_sourcery.subscriptions.retrying import Outage, is_transient, log
from event_sourcery.versioning import is_whole

if TYPE_CHECKING:
    from event_sourcery.event_store import EventStore

Handler = Callable[[Recorded[Event], Any], None]
"""Applies one event; gets the unit's SQLAlchemy Session (None in memory) to write with."""


@dataclass(frozen=True, slots=True)
class ProjectionLag:
    """How far a projection is behind the store."""

    position: int
    """The projection's checkpoint: the last position it processed."""
    head: int
    """The store's safe position."""
    seconds: float
    """Age of the oldest event it has yet to process (0 when caught up)."""

    @property
    def positions(self) -> int:
        return self.head - self.position


class Projection:
    """Applies the store's events to ``handler`` in position order, from its checkpoint.

    On the SQL backends each batch runs in one transaction: the handler's writes through
    the Session it is given and the new checkpoint commit together, so a crash never
    applies an event twice or loses one. Runs of one projection take turns.
    """

    def __init__(
        self,
        store: EventStore,
        name: str,
        handler: Handler,
        *,
        types: Iterable[type[Event] | str] | None = None,
        categories: Iterable[str | None] | None = None,
        batch_size: int = 100,
        on_reset: Callable[[Any], None] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name or len(name) > 255:
            raise InvalidRange("name", name, "not a projection name: 1 to 255 characters")
        if not is_whole(batch_size, 1):
            raise InvalidRange("batch_size", batch_size, "not a batch size: use an int >= 1")
        self.store = store
        self.name = name
        self.handler = handler
        self.on_reset = on_reset
        self._types = None if types is None else tuple(types)
        self._categories = None if categories is None else tuple(categories)
        self._batch_size = batch_size
        self._handling = False
        """Whether the error at hand came from the handler (see ``run``)."""

    @property
    def position(self) -> int:
        """The last position this projection processed (0 before its first run)."""
        return self.store.storage.checkpoint(self.name)

    def run_once(self) -> int:
        """Catch up with the store and return how many events were applied."""
        applied = 0
        while True:
            count, more = self._apply_batch()
            applied += count
            if not more:
                return applied

    def run(self, stop_event: threading.Event | None = None, poll_interval: float = 1.0) -> None:
        """Catch up, then apply new events as they commit, until ``stop_event`` is set.
        A database that goes away (a restart, a dropped connection) is logged and tried
        again every ``poll_interval`` seconds; the batch it broke is rolled back and
        applied again. Other errors (the handler's own) end the run."""
        stop = stop_event or threading.Event()
        waiter = self.store.storage.waiter(poll_interval)  # it listens again by itself
        outage = Outage(log, f"projection {self.name}")
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                except Exception as error:
                    if not is_transient(error, raised_by_handler=self._handling):
                        raise
                    outage.failed(error)
                    stop.wait(poll_interval)
                    continue
                outage.recovered()
                waiter.wait(min(poll_interval, 0.25))
        finally:
            waiter.close()

    def reset(self) -> None:
        """Back to position 0, calling ``on_reset`` (to clear the projection's own data)
        in the same transaction."""
        with self.store.storage.checkpointed(self.name) as unit:
            if self.on_reset is not None:
                self.on_reset(unit.session)
            unit.position = 0

    def rebuild(self) -> int:
        """Reset, then apply every event again; returns how many were applied."""
        self.reset()
        return self.run_once()

    def lag(self) -> ProjectionLag:
        """Positions and seconds behind the store."""
        position, head = self.position, self.store.position
        pending = self._read(position, 1).events
        seconds = (datetime.now(UTC) - pending[0].created_at).total_seconds() if pending else 0.0
        return ProjectionLag(position, max(head, position), max(seconds, 0.0))

    def _apply_batch(self) -> tuple[int, bool]:
        # Read before the unit opens: the unit's transaction is a writer in flight, and
        # readers of the whole store wait for writers in flight.
        self._handling = False
        start = self.store.storage.checkpoint(self.name)
        page = self._read(start, self._batch_size)
        with self.store.storage.checkpointed(self.name) as unit:
            if unit.position != start:  # another run moved on meanwhile: look again
                return 0, True
            for recorded in page.events:
                self._handling = True
                self.handler(recorded, unit.session)
                self._handling = False
            # Past what the filters left out (or was deleted), up to what was safe to read.
            unit.position = page.position
            return len(page.events), len(page.events) == self._batch_size

    def _read(self, after: int, limit: int) -> Page:
        return self.store.read_page(after, limit, types=self._types, categories=self._categories)
