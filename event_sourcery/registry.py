"""The event type registry: names stored in rows resolve to classes here and nowhere else,
and so do the upcasters that bring old payloads up to a class's current schema version."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from event_sourcery.errors import DuplicateEventName, InvalidUpcaster, UnknownEventType
from event_sourcery.versioning import is_whole

if TYPE_CHECKING:
    from event_sourcery.event import Event
    from event_sourcery.streams import StreamId

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
"""Turns a payload stored at schema version k into the payload of version k + 1."""
U = TypeVar("U", bound=Upcaster)


class EventRegistry:
    """Maps event names to classes and back, and holds each name's upcasters.

    Re-running a class definition (a notebook cell, a reloaded module) replaces the old
    class; a different class under a taken name raises ``DuplicateEventName``.
    """

    def __init__(self) -> None:
        self._classes: dict[str, type[Event]] = {}
        self._names: dict[type[Event], str] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

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

    def names_for(self, types: Iterable[type[Event] | str]) -> tuple[str, ...]:
        """Stored names of ``types``: a name as given; a class with every registered
        subclass of it."""
        names: set[str] = set()
        for item in types:
            if isinstance(item, str):
                names.add(item)
            else:
                names.add(self.name_of(item))
                names.update(n for n, cls in self._classes.items() if issubclass(cls, item))
        return tuple(sorted(names))

    def upcaster(self, event: type[Event] | str, from_version: int) -> Callable[[U], U]:
        """Decorate a function that turns ``event``'s payloads of schema version
        ``from_version`` into version ``from_version + 1``; chains run 1 → 2 → 3."""

        def register(upcast: U) -> U:
            self.add_upcaster(event, from_version, upcast)
            return upcast

        return register

    def add_upcaster(self, event: type[Event] | str, from_version: int, upcast: Upcaster) -> None:
        name = event if isinstance(event, str) else self.name_of(event)
        if not is_whole(from_version, 1):
            raise InvalidUpcaster(name, f"from_version={from_version!r} is not a version >= 1")
        if not callable(upcast):
            raise InvalidUpcaster(name, f"{upcast!r} is not callable")
        existing = self._upcasters.get((name, from_version))
        if existing is not None and _identity(existing) != _identity(upcast):
            raise InvalidUpcaster(name, f"version {from_version} already has an upcaster")
        self._upcasters[(name, from_version)] = upcast

    def upcasters(self, name: str, stored: int, current: int) -> list[Upcaster]:
        """The chain from ``stored`` up to ``current``; a missing link raises ``KeyError``
        naming the version it lacks."""
        chain = []
        for version in range(stored, current):
            upcast = self._upcasters.get((name, version))
            if upcast is None:
                raise KeyError(version)
            chain.append(upcast)
        return chain


def _identity(function: Callable[..., Any]) -> tuple[str, str]:
    """Re-running a notebook cell re-registers "the same" upcaster as a new function."""
    return (getattr(function, "__module__", ""), getattr(function, "__qualname__", ""))


default_registry = EventRegistry()
"""Where every ``Event`` subclass registers itself when its class statement runs."""

upcaster = default_registry.upcaster
"""``@upcaster(SomeEvent, from_version=1)`` registers an upcaster in the default registry."""
