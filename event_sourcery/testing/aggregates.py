"""Aggregates the contract suite drives: the original library's LightSwitch in both styles,
and an Account that snapshots."""

from __future__ import annotations

from typing import ClassVar

from event_sourcery.event import Event
from event_sourcery.event_sourcing.aggregate import Aggregate, applies
from event_sourcery.testing.events import AccountSnapshot, Deposited, TurnedOff, TurnedOn


class LightSwitch(Aggregate):
    """Written exactly as for the original library: ``__apply__`` and ``_emit``."""

    category: ClassVar[str | None] = "light_switch"

    class AlreadyTurnedOn(Exception):
        pass

    class AlreadyTurnedOff(Exception):
        pass

    def __init__(self) -> None:
        self._shines = False

    def __apply__(self, event: Event) -> None:
        match event:
            case TurnedOn():
                self._shines = True
            case TurnedOff():
                self._shines = False
            case _:
                raise NotImplementedError(f"Unexpected event {type(event)}")

    def turn_on(self) -> None:
        if self._shines:
            raise self.AlreadyTurnedOn
        self._emit(TurnedOn())

    def turn_off(self) -> None:
        if not self._shines:
            raise self.AlreadyTurnedOff
        self._emit(TurnedOff())

    @property
    def shines(self) -> bool:
        return self._shines


class Lamp(Aggregate):
    """The same rules with per-type handlers."""

    category: ClassVar[str | None] = "lamp"

    def __init__(self) -> None:
        self.shines = False
        self.switched = 0

    def turn_on(self) -> None:
        if self.shines:
            raise LightSwitch.AlreadyTurnedOn
        self._emit(TurnedOn())

    def turn_off(self) -> None:
        self._emit(TurnedOff())

    @applies(TurnedOn)
    def _turned_on(self, event: TurnedOn) -> None:
        self.shines = True
        self.switched += 1

    @applies(TurnedOff)
    def _turned_off(self, event: TurnedOff) -> None:
        self.shines = False
        self.switched += 1


class Account(Aggregate):
    """Snapshots its balance; ``applied`` counts the events replayed into this instance."""

    category: ClassVar[str | None] = "account"

    def __init__(self) -> None:
        self.balance = 0
        self.deposits = 0
        self.applied = 0
        self.restored_from: int | None = None

    def deposit(self, amount: int) -> None:
        self._emit(Deposited(amount=amount))

    @applies(Deposited)
    def _deposited(self, event: Deposited) -> None:
        self.balance += event.amount
        self.deposits += 1
        self.applied += 1

    def __snapshot__(self) -> Event:
        return AccountSnapshot(balance=self.balance, deposits=self.deposits)

    def __restore__(self, snapshot: Event) -> None:
        assert isinstance(snapshot, AccountSnapshot)
        self.balance = snapshot.balance
        self.deposits = snapshot.deposits
        self.restored_from = snapshot.deposits
