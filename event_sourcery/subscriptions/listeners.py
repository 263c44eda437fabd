"""In-transaction listeners: code called during ``append``, before the events commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from event_sourcery.event import Event
from event_sourcery.records import Recorded

Listener = Callable[[Recorded[Event]], None]
"""Called with each appended event it listens to, inside the append's transaction: an
exception it raises undoes the append and propagates to the caller."""


@dataclass(frozen=True)
class _Registration:
    listener: Listener
    types: tuple[type[Event], ...] | None
    categories: tuple[str | None, ...] | None

    def wants(self, recorded: Recorded[Event]) -> bool:
        return (self.types is None or isinstance(recorded.event, self.types)) and (
            self.categories is None or recorded.stream_id.category in self.categories
        )


class Listeners:
    """The listeners of one or more stores (share one object between the stores a
    service makes per session). Registering a listener again changes nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registrations: list[_Registration] = []

    def add(
        self,
        listener: Listener,
        *,
        types: Iterable[type[Event]] | None = None,
        categories: Iterable[str | None] | None = None,
    ) -> None:
        """Call ``listener`` for appended events of ``types`` (subclasses included) in
        ``categories`` (None: streams without one); each filter left out lets all in."""
        if not callable(listener):
            raise TypeError(f"listener {listener!r} is not callable")
        registration = _Registration(
            listener,
            None if types is None else tuple(types),
            None if categories is None else tuple(categories),
        )
        with self._lock:
            if registration not in self._registrations:
                self._registrations.append(registration)

    def remove(self, listener: Listener) -> None:
        """Stop calling ``listener`` (every registration of it)."""
        with self._lock:
            self._registrations = [r for r in self._registrations if r.listener != listener]

    def __bool__(self) -> bool:
        return bool(self._registrations)

    def notify(self, recorded: list[Recorded[Event]]) -> None:
        """Call each listener, in registration order, for each event it wants."""
        with self._lock:
            registrations = list(self._registrations)
        for event in recorded:
            for registration in registrations:
                if registration.wants(event):
                    registration.listener(event)
