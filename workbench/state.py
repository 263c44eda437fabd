"""How a stream's state is folded from its events, for time travel: through an aggregate
class, or (with no class) as the running merge of the payloads."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from pydantic_core import to_jsonable_python

from event_sourcery import (
    Aggregate,
    Event,
    EventStore,
    RawEvent,
    UndecodableEvent,
    UnknownEventType,
)

S = TypeVar("S")
State = dict[str, Any]
"""A state as the workbench shows it: JSON-like (dicts, lists, str, numbers, bools, None)."""


class Folder(Protocol[S]):
    """Builds a stream's state event by event; ``S`` is whatever it keeps in between."""

    def start(self) -> S:
        """The state before the first event."""
        ...

    def apply(self, held: S, payload: Mapping[str, Any], event: Event | None) -> S:
        """The state after one more event (its JSON payload, and the decoded event when the
        folder needs one)."""
        ...

    def copy(self, held: S) -> S:
        """An independent copy, kept as a checkpoint."""
        ...

    def state(self, held: S) -> State:
        """What to show: a JSON-like dict that shares nothing with ``held``."""
        ...

    @property
    def decodes(self) -> bool:
        """Whether ``apply`` needs decoded events."""
        ...


class MergeFolder:
    """No aggregate class: the state is every payload merged in turn (nested objects key by
    key), which answers "what is the latest value of each field"."""

    decodes = False

    def start(self) -> State:
        return {}

    def apply(self, held: State, payload: Mapping[str, Any], event: Event | None) -> State:
        merge(held, payload)
        return held

    def copy(self, held: State) -> State:
        return copy.deepcopy(held)

    def state(self, held: State) -> State:
        return copy.deepcopy(held)


A = TypeVar("A", bound=Aggregate)


class AggregateFolder(Generic[A]):
    """The state an aggregate class rebuilds: each event through its ``__apply__``; shown as
    its public attributes."""

    decodes = True

    def __init__(self, factory: Callable[[], A]) -> None:
        self.factory = factory
        self.name: str = getattr(factory, "__qualname__", None) or repr(factory)
        """What messages call it."""

    def start(self) -> A:
        return self.factory()

    def apply(self, held: A, payload: Mapping[str, Any], event: Event | None) -> A:
        assert event is not None, "AggregateFolder is given decoded events"
        held.__apply__(event)
        return held

    def copy(self, held: A) -> A:
        return copy.deepcopy(held)

    def state(self, held: A) -> State:
        return state_of(held)


def decoded(
    store: EventStore, raws: Sequence[RawEvent]
) -> tuple[list[Event | None], dict[int, str]]:
    """The events of one stream's rows decoded for an aggregate, None for a row that cannot
    be decoded, and those rows' versions (counted from 1 in ``raws``) with the reason."""
    try:
        return [record.event for record in store.decode(raws)], {}
    except (UndecodableEvent, UnknownEventType):
        pass  # a row the store did not write: decode one by one, to carry on past it
    events: list[Event | None] = []
    undecodable: dict[int, str] = {}
    for version, raw in enumerate(raws, start=1):
        try:
            [record] = store.decode([raw])
        except (UndecodableEvent, UnknownEventType) as error:
            events.append(None)
            undecodable[version] = str(error)
        else:
            events.append(record.event)
    return events, undecodable


def state_of(aggregate: Aggregate) -> State:
    """An aggregate's public attributes as JSON-like values (uuids and times as text)."""
    public = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    state: State = to_jsonable_python(public, fallback=repr)
    return state


def merge(into: dict[str, Any], payload: Mapping[str, Any]) -> None:
    """Merge ``payload`` into ``into`` in place: nested objects key by key, anything else
    (lists included) replaced whole."""
    for key, value in payload.items():
        current = into.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            merge(current, value)
        else:
            into[key] = copy.deepcopy(value) if isinstance(value, dict | list) else value
