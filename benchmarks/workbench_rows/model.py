"""The events and the aggregate the workbench rows store: a small billing domain whose
payloads nest (a customer with an address), carry amounts, plan names and lists, and an
account whose state holds a nested dict."""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict

from event_sourcery import Aggregate, Event, applies

PLANS = ("free", "starter", "team", "business", "enterprise")
CITIES = (
    ("Warsaw", "00-001"),
    ("Berlin", "10115"),
    ("Lyon", "69001"),
    ("Porto", "4000-001"),
    ("Leeds", "LS1 1AA"),
    ("Malmo", "211 18"),
)
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
ITEMS = ("seats", "storage", "support", "sso", "audit-log", "api-calls", "backups")
METHODS = ("card", "transfer", "paypal")
CHANNELS = ("branch", "online", "atm", "transfer")


class Address(BaseModel):
    """Nested in a customer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    city: str
    zip: str


class Customer(BaseModel):
    """Nested in most payloads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    address: Address


class CustomerRegistered(Event):
    customer: Customer
    plan: str
    tags: list[str]


class InvoiceIssued(Event):
    invoice_id: str
    customer: Customer
    amount: float
    currency: str
    plan: str
    items: list[str]


class PaymentReceived(Event):
    invoice_id: str
    customer: Customer
    amount: float
    method: str


class PlanChanged(Event):
    customer: Customer
    old_plan: str
    new_plan: str
    seats: int


class CustomerMoved(Event):
    customer_id: str
    address: Address


def billing_event(rng: random.Random, customer: Customer, serial: int) -> Event:
    """One event about ``customer``, its type drawn with invoices and payments the most
    common; ``serial`` makes invoice ids unique."""
    kind = rng.random()
    plan = rng.choice(PLANS)
    invoice = f"INV-{serial:08d}"
    amount = round(rng.uniform(5, 5_000), 2)
    if kind < 0.35:
        items = rng.sample(ITEMS, rng.randint(1, 4))
        return InvoiceIssued(
            invoice_id=invoice,
            customer=customer,
            amount=amount,
            currency="EUR",
            plan=plan,
            items=items,
        )
    if kind < 0.70:
        method = rng.choice(METHODS)
        return PaymentReceived(invoice_id=invoice, customer=customer, amount=amount, method=method)
    if kind < 0.85:
        seats = rng.randint(1, 500)
        old = rng.choice(PLANS)
        return PlanChanged(customer=customer, old_plan=old, new_plan=plan, seats=seats)
    if kind < 0.95:
        return CustomerRegistered(customer=customer, plan=plan, tags=rng.sample(ITEMS, 2))
    return CustomerMoved(customer_id=customer.id, address=address(rng))


def address(rng: random.Random) -> Address:
    city, zip_code = rng.choice(CITIES)
    return Address(city=city, zip=zip_code)


def customer(rng: random.Random, number: int) -> Customer:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return Customer(id=f"cus_{number:07d}", name=name, address=address(rng))


# The time-travel row: one account's stream.


class FundsDeposited(Event):
    amount: int
    channel: str


class FundsWithdrawn(Event):
    amount: int
    channel: str


class LimitSet(Event):
    channel: str
    limit: int


class Account(Aggregate):
    """Balance and count of operations, and per channel a nested dict of totals."""

    category = "accounts"

    def __init__(self) -> None:
        self.balance = 0
        self.count = 0
        self.channels: dict[str, dict[str, int]] = {}

    def _channel(self, name: str) -> dict[str, int]:
        return self.channels.setdefault(name, {"in": 0, "out": 0, "limit": 0})

    @applies(FundsDeposited)
    def _deposited(self, event: FundsDeposited) -> None:
        self.balance += event.amount
        self.count += 1
        self._channel(event.channel)["in"] += event.amount

    @applies(FundsWithdrawn)
    def _withdrawn(self, event: FundsWithdrawn) -> None:
        self.balance -= event.amount
        self.count += 1
        self._channel(event.channel)["out"] += event.amount

    @applies(LimitSet)
    def _limit(self, event: LimitSet) -> None:
        self.count += 1
        self._channel(event.channel)["limit"] = event.limit


def account_event(rng: random.Random) -> Event:
    """Deposits most of the time, some withdrawals, a few limit changes."""
    kind = rng.random()
    channel = rng.choice(CHANNELS)
    if kind < 0.6:
        return FundsDeposited(amount=rng.randint(1, 100_000), channel=channel)
    if kind < 0.95:
        return FundsWithdrawn(amount=rng.randint(1, 50_000), channel=channel)
    return LimitSet(channel=channel, limit=rng.randint(1, 100) * 1_000)
