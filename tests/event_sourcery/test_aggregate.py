"""Aggregate handlers and snapshot policies, without a store."""

from __future__ import annotations

from typing import ClassVar

import pytest

from event_sourcery import Aggregate, Event, EveryNEvents, InvalidRange, UnhandledEvent, applies
from event_sourcery.testing.aggregates import Account, Lamp, LightSwitch
from event_sourcery.testing.events import Deposited, TurnedOn


class Credited(Deposited):
    __event_name__: ClassVar[str] = "tests.Credited"


class Ledger(Aggregate):
    def __init__(self) -> None:
        self.lines: list[str] = []

    @applies(Deposited)
    def _deposited(self, event: Deposited) -> None:
        self.lines.append(f"deposit {event.amount}")


class AuditedLedger(Ledger):
    @applies(Credited)
    def _credited(self, event: Credited) -> None:
        self.lines.append(f"credit {event.amount}")


def test_emitting_applies_at_once_and_keeps_the_event_pending() -> None:
    lamp = Lamp()
    lamp.turn_on()
    assert lamp.shines
    assert lamp.__pending__() == [TurnedOn()]


def test_a_handler_for_a_base_event_type_handles_its_subclasses() -> None:
    ledger = Ledger()
    ledger.__apply__(Credited(amount=3))
    assert ledger.lines == ["deposit 3"]


def test_subclasses_inherit_handlers_and_the_most_specific_one_wins() -> None:
    ledger = AuditedLedger()
    ledger.__apply__(Deposited(amount=1))
    ledger.__apply__(Credited(amount=2))
    assert ledger.lines == ["deposit 1", "credit 2"]


def test_an_event_without_a_handler_raises_naming_both() -> None:
    with pytest.raises(UnhandledEvent, match="Ledger has no handler for TurnedOn"):
        Ledger().__apply__(TurnedOn())


def test_applies_takes_only_event_classes() -> None:
    with pytest.raises(TypeError, match="Event class"):
        applies(int)  # type: ignore[arg-type]


def test_only_aggregates_defining_both_halves_can_snapshot() -> None:
    class HalfDone(Aggregate):
        def __snapshot__(self) -> Event:
            return TurnedOn()

    assert Account.can_snapshot()
    assert not Lamp.can_snapshot()
    assert not LightSwitch.can_snapshot()
    assert not HalfDone.can_snapshot()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(0, 2, False), (2, 3, True), (3, 5, False), (5, 7, True), (4, 20, True), (0, 3, True)],
)
def test_every_n_events_snapshots_when_a_save_crosses_a_multiple(
    before: int, after: int, expected: bool
) -> None:
    assert EveryNEvents(3).should_snapshot(before, after) is expected


@pytest.mark.parametrize("n", [0, -1, "3", True])
def test_every_n_events_needs_a_positive_int(n: object) -> None:
    with pytest.raises(InvalidRange, match="snapshot_every"):
        EveryNEvents(n)  # type: ignore[arg-type]


def test_two_handlers_for_one_event_type_in_one_class_are_refused() -> None:
    with pytest.raises(TypeError, match="two handlers for Deposited"):

        class Confused(Aggregate):
            @applies(Deposited)
            def _one(self, event: Deposited) -> None: ...

            @applies(Deposited)
            def _other(self, event: Deposited) -> None: ...
