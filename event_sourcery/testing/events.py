"""Events the contract suite appends; their names are prefixed so they collide with nothing."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel

from event_sourcery.event import Event


class Plan(enum.Enum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class Address(BaseModel):
    street: str
    city: str


class Customer(BaseModel):
    id: UUID
    addresses: list[Address]


class Opened(Event):
    __event_name__: ClassVar[str] = "contract.Opened"
    owner: str


class Deposited(Event):
    __event_name__: ClassVar[str] = "contract.Deposited"
    amount: int


class EveryType(Event):
    """One field of each payload type that must round-trip exactly."""

    __event_name__: ClassVar[str] = "contract.EveryType"
    text: str
    number: int
    ratio: float
    flag: bool
    nothing: None
    money: Decimal
    ident: UUID
    aware: datetime
    naive: datetime
    day: date
    plan: Plan
    tags: list[str]
    customer: Customer


class Measured(Event):
    __event_name__: ClassVar[str] = "contract.Measured"
    value: float


class Renamed(Event):
    """Stored under the name of ``Opened`` by a reader whose class has drifted."""

    __event_name__: ClassVar[str] = "contract.Renamed"
    new_owner: str


class TurnedOn(Event):
    __event_name__: ClassVar[str] = "contract.TurnedOn"


class TurnedOff(Event):
    __event_name__: ClassVar[str] = "contract.TurnedOff"


class AccountSnapshot(Event):
    """An Account's state, as its snapshots store it."""

    __event_name__: ClassVar[str] = "contract.AccountSnapshot"
    balance: int
    deposits: int


class AccountSnapshotV0(Event):
    """The shape AccountSnapshot had before: a reader whose class drifted stores this."""

    __event_name__: ClassVar[str] = "contract.AccountSnapshotV0"
    total: str


class SubscribedV1(Event):
    """``contract.Subscribed`` as first written: a plan name."""

    __event_name__: ClassVar[str] = "contract.SubscribedV1"
    plan: str


class SubscribedV2(Event):
    """Version 2 split the plan into a name and a billing period."""

    __event_name__: ClassVar[str] = "contract.SubscribedV2"
    __schema_version__: ClassVar[int] = 2
    plan: str
    period: str


class Subscribed(Event):
    """Version 3, the current one: the price moved into the event, in cents."""

    __event_name__: ClassVar[str] = "contract.Subscribed"
    __schema_version__: ClassVar[int] = 3
    plan: str
    period: str
    price_cents: int
