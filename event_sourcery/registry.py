"""The event type registry: names stored in rows resolve to classes here and nowhere else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from event_sourcery.errors import DuplicateEventName, UnknownEventType

if TYPE_CHECKING:
    from event_sourcery.event import Event
    from event_sourcery.streams import StreamId


class EventRegistry:
    """Maps event names to classes and back.

    Re-running a class definition (a notebook cell, a reloaded module) replaces the old
    class; a different class under a taken name raises ``DuplicateEventName``.
    """

    def __init__(self) -> None:
        self._classes: dict[str, type[Event]] = {}
        self._names: dict[type[Event], str] = {}

    def add(self, cls: type[Event], name: str) -> None:
        existing = self._classes.get(name)
        if existing is not None and existing is not cls:
            if (existing.__module__, existing.__qualname__) != (cls.__module__, cls.__qualname__):
                raise DuplicateEventName(name, existing, cls)
            del self._names[existing]
        self._classes[name] = cls
        self._names[cls] = name

    def name_of(self, cls: type[Event]) -> str:
        """The name rows store for ``cls``; registers it on first use (non-default registries)."""
        name = self._names.get(cls)
        if name is None:
            from event_sourcery.event import event_name

            name = event_name(cls)
            self.add(cls, name)
        return name

    def resolve(self, name: str, stream_id: StreamId | None = None) -> type[Event]:
        """The class registered as ``name``, or ``UnknownEventType`` naming the stream."""
        try:
            return self._classes[name]
        except KeyError:
            raise UnknownEventType(name, stream_id) from None

    def get(self, name: str) -> type[Event] | None:
        return self._classes.get(name)

    def names(self) -> list[str]:
        return sorted(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes


default_registry = EventRegistry()
"""Where every ``Event`` subclass registers itself when its class statement runs."""
