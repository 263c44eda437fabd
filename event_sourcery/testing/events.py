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
