"""Aggregates: state rebuilt from a stream's events and changed only by emitting new ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from event_sourcery.errors import ReadOnlyAggregate, SnapshotsUnsupported, UnhandledEvent
from event_sourcery.event import Event
from event_sourcery.streams import StreamId

A = TypeVar("A", bound="Aggregate")
E = TypeVar("E", bound=Event)
Method = TypeVar("Method", bound=Callable[..., None])


def applies(event_type: type[Event]) -> Callable[[Method], Method]:
    """Mark an aggregate method as the handler of ``event_type`` (and its subclasses)."""
    if not (isinstance(event_type, type) and issubclass(event_type, Event)):
        raise TypeError(f"@applies takes an Event class, not {event_type!r}")

    def mark(method: Method) -> Method:
        method.__applies__ = event_type  # type: ignore[attr-defined]
        return method

    return mark


class Aggregate:
    """Base class of event-sourced aggregates.

    Command methods check their rules and call ``self._emit(event)``, which applies the
    event to the state at once and keeps it as a pending change for the repository to
    append. Rebuilding applies the stored events in order through ``__apply__``, which
    routes each event to the method marked ``@applies(ItsType)``; override ``__apply__``
    instead to handle events yourself (the original library's style). Subclasses need not
    call ``Aggregate.__init__``.
    """

    category: ClassVar[str | None] = None
    """The category of this aggregate's streams."""

    __handlers__: ClassVar[dict[type[Event], str]] = {}
    __stream__: AggregateStream
    """Set by the repository: which stream this aggregate is, at what version."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type[Event], str] = {}
        for klass in reversed(cls.__mro__):
            own: dict[type[Event], str] = {}
            for name, member in vars(klass).items():
                event_type = getattr(member, "__applies__", None)
                if event_type is None:
                    continue
                if event_type in own:
                    raise TypeError(
                        f"{klass.__qualname__} has two handlers for {event_type.__qualname__}: "
                        f"{own[event_type]} and {name}"
                    )
                own[event_type] = name
            handlers.update(own)
        cls.__handlers__ = handlers

    def __apply__(self, event: Event) -> None:
        """Change the state by one event: call the ``@applies`` method for its type."""
        handlers = self.__handlers__
        for event_type in type(event).__mro__:
            name = handlers.get(event_type)
            if name is not None:
                getattr(self, name)(event)
                return
        raise UnhandledEvent(type(self), type(event))

    def _emit(self, event: Event) -> None:
        """Apply ``event`` now and keep it for the repository to append."""
        tracked = self.__dict__.get("__stream__")
        if tracked is not None and tracked.read_only is not None:
            raise ReadOnlyAggregate(type(self), tracked.read_only)
        self.__apply__(event)
        self.__dict__.setdefault("_changes", []).append(event)

    @contextmanager
    def __persisting_changes__(self) -> Iterator[Iterator[Event]]:
        """The pending changes, cleared once the block ends without an error."""
        yield iter(list(self.__dict__.get("_changes", [])))
        self.__dict__["_changes"] = []

    def __pending__(self) -> list[Event]:
        """The events emitted since the aggregate was loaded or last saved."""
        return list(self.__dict__.get("_changes", []))

    def __snapshot__(self) -> Event:
        """The state as a snapshot event; override with ``__restore__`` to allow snapshots."""
        raise SnapshotsUnsupported(type(self))

    def __restore__(self, snapshot: Event) -> None:
        """Set the state from a snapshot event made by ``__snapshot__``."""
        raise SnapshotsUnsupported(type(self))

    @classmethod
    def can_snapshot(cls) -> bool:
        """Whether the class says how to turn its state into a snapshot and back."""
        return (
            cls.__snapshot__ is not Aggregate.__snapshot__
            and cls.__restore__ is not Aggregate.__restore__
        )


class AggregateStream:
    """Where an aggregate stands in its stream: ``aggregate.__stream__``."""

    def __init__(
        self,
        aggregate: Aggregate,
        stream_id: StreamId,
        loaded_version: int,
        read_only: str | None = None,
    ) -> None:
        self._aggregate = aggregate
        self.stream_id = stream_id
        self.loaded_version = loaded_version
        """The stream's version when it was loaded (0: the stream did not exist)."""
        self.saved_version: int | None = None
        """The version the last save wrote up to; None until something is saved."""
        self.read_only = read_only
        """How a time-travel load placed it ("as of version 3"); None when it may change."""

    @property
    def is_new(self) -> bool:
        """True when the stream had no events when loaded."""
        return self.loaded_version == 0

    @property
    def new_version(self) -> int:
        """The version the stream is at once the pending changes are saved."""
        base = self.saved_version if self.saved_version is not None else self.loaded_version
        return base + len(self._aggregate.__pending__())

    def __repr__(self) -> str:
        return (
            f"AggregateStream({self.stream_id!r}, loaded_version={self.loaded_version}, "
            f"new_version={self.new_version})"
        )
