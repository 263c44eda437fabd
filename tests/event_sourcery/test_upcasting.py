"""Registering schema versions and upcasters: mistakes are refused when they are made."""

from __future__ import annotations

from typing import ClassVar

import pytest

from event_sourcery import Event, EventRegistry, InvalidUpcaster
from event_sourcery.registry import Payload


def noop(data: Payload) -> Payload:
    return data


def other(data: Payload) -> Payload:
    return data


@pytest.mark.parametrize("version", [0, -1, "2", True, 1.5])
def test_a_schema_version_must_be_an_int_from_1(version: object) -> None:
    with pytest.raises(InvalidUpcaster, match="__schema_version__"):

        class Broken(Event):
            __event_name__: ClassVar[str] = f"tests.Broken{version!r}"
            __schema_version__: ClassVar[int] = version  # type: ignore[assignment]


@pytest.mark.parametrize("version", [0, -3, "1", False])
def test_an_upcaster_must_start_from_a_version(version: object) -> None:
    with pytest.raises(InvalidUpcaster, match="from_version"):
        EventRegistry().add_upcaster("tests.X", version, noop)  # type: ignore[arg-type]


def test_a_version_takes_one_upcaster_but_re_registering_it_is_harmless() -> None:
    registry = EventRegistry()
    registry.add_upcaster("tests.X", 1, noop)
    registry.add_upcaster("tests.X", 1, noop)  # a notebook cell run twice
    with pytest.raises(InvalidUpcaster, match="already has an upcaster"):
        registry.add_upcaster("tests.X", 1, other)
    assert registry.upcasters("tests.X", 1, 2) == [noop]


def test_the_decorator_registers_under_the_classes_stored_name() -> None:
    class Renewed(Event):
        __event_name__: ClassVar[str] = "tests.Renewed"
        __schema_version__: ClassVar[int] = 2
        until: str

    registry = EventRegistry()

    @registry.upcaster(Renewed, from_version=1)
    def add_until(data: Payload) -> Payload:
        return {**data, "until": "never"}

    assert registry.upcasters("tests.Renewed", 1, 2) == [add_until]
    with pytest.raises(KeyError):
        registry.upcasters("tests.Renewed", 0, 2)


def test_an_upcaster_must_be_callable() -> None:
    with pytest.raises(InvalidUpcaster, match="not callable"):
        EventRegistry().add_upcaster("tests.X", 1, "split")  # type: ignore[arg-type]
