"""Event classes register by name; names resolve to classes only through the registry."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import ValidationError

from event_sourcery import (
    DuplicateEventName,
    Event,
    EventRegistry,
    EventStoreError,
    UnknownEventType,
    default_registry,
    event_name,
)


def test_a_subclass_registers_under_its_class_name() -> None:
    class RegistryCustomerJoined(Event):
        name: str

    assert default_registry.resolve("RegistryCustomerJoined") is RegistryCustomerJoined
    assert event_name(RegistryCustomerJoined) == "RegistryCustomerJoined"


def test_event_name_overrides_the_class_name_and_is_not_inherited() -> None:
    class Renamed(Event):
        __event_name__: ClassVar[str] = "registry.renamed.v1"

    class RenamedChild(Renamed):
        pass

    assert default_registry.resolve("registry.renamed.v1") is Renamed
    assert event_name(RenamedChild) == "RenamedChild"
    assert "Renamed" not in default_registry


def test_two_classes_under_one_name_raise_naming_both() -> None:
    class RegistryClashA(Event):
        __event_name__: ClassVar[str] = "registry.clash"

    with pytest.raises(DuplicateEventName, match=r"registry\.clash") as caught:
        type("Other", (Event,), {"__event_name__": "registry.clash", "__module__": "elsewhere"})
    assert "RegistryClashA" in str(caught.value)
    assert "elsewhere.Other" in str(caught.value)
    assert default_registry.resolve("registry.clash") is RegistryClashA


def test_redefining_the_same_class_replaces_it_as_a_notebook_cell_rerun_does() -> None:
    def define() -> type[Event]:
        class RegistryRerun(Event):
            value: int

        return RegistryRerun

    first, second = define(), define()
    assert first is not second
    assert default_registry.resolve("RegistryRerun") is second


def test_unknown_fields_are_rejected_and_events_are_immutable() -> None:
    class RegistryStrict(Event):
        value: int

    with pytest.raises(ValidationError, match="extra"):
        RegistryStrict(value=1, typo=2)  # type: ignore[call-arg]
    event = RegistryStrict(value=1)
    with pytest.raises(ValidationError, match="frozen"):
        event.value = 2


def test_an_unknown_name_raises_an_event_store_error() -> None:
    registry = EventRegistry()
    with pytest.raises(UnknownEventType, match="'nope'") as caught:
        registry.resolve("nope")
    assert isinstance(caught.value, EventStoreError)
    assert registry.get("nope") is None


def test_a_private_registry_learns_classes_as_they_are_used() -> None:
    class RegistryPrivate(Event):
        pass

    registry = EventRegistry()
    assert registry.names() == []
    assert registry.name_of(RegistryPrivate) == "RegistryPrivate"
    assert registry.resolve("RegistryPrivate") is RegistryPrivate
