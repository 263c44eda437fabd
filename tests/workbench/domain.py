"""A small domain for the workbench tests: a wallet whose state is nested and numeric,
with snapshots; names are prefixed so they collide with nothing else registered."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from event_sourcery import Aggregate, Event, applies


class Owner(BaseModel):
    name: str
    city: str


class WalletOpened(Event):
    __event_name__: ClassVar[str] = "wb.WalletOpened"
    owner: Owner
    limit: int


class MoneyMoved(Event):
    __event_name__: ClassVar[str] = "wb.MoneyMoved"
    amount: int
    note: str = ""


class OwnerMoved(Event):
    __event_name__: ClassVar[str] = "wb.OwnerMoved"
    city: str


class WalletSnapshot(Event):
    __event_name__: ClassVar[str] = "wb.WalletSnapshot"
    owner: dict[str, Any]
    balance: int
    moves: int


class Wallet(Aggregate):
    """Balance and move count; the owner's city follows OwnerMoved."""

    category = "wallet"

    def __init__(self) -> None:
        self.owner: dict[str, Any] = {}
        self.balance = 0
        self.moves = 0
        self._seen = 0  # private: not part of the shown state

    @applies(WalletOpened)
    def _opened(self, event: WalletOpened) -> None:
        self.owner = event.owner.model_dump()

    @applies(MoneyMoved)
    def _moved(self, event: MoneyMoved) -> None:
        self.balance += event.amount
        self.moves += 1

    @applies(OwnerMoved)
    def _owner_moved(self, event: OwnerMoved) -> None:
        self.owner = {**self.owner, "city": event.city}

    def __snapshot__(self) -> Event:
        return WalletSnapshot(owner=self.owner, balance=self.balance, moves=self.moves)

    def __restore__(self, snapshot: Event) -> None:
        assert isinstance(snapshot, WalletSnapshot)
        self.owner, self.balance, self.moves = snapshot.owner, snapshot.balance, snapshot.moves
