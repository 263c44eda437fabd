"""The demo's customers: who they are, when they join, what they buy, how reliably they
pay and how much a metered customer uses, all drawn from the seed's random generator."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from event_sourcery import StreamId
from workbench.demo.aggregates import Subscription
from workbench.demo.catalog import (
    CARD_BRANDS,
    CITIES,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    CURRENCIES,
    EURO_COUNTRIES,
    FIRST_NAMES,
    HORIZON,
    LAST_NAMES,
    LATER_COUNTRIES,
    SCHEMA_V2_FROM,
    START,
    STREETS,
    BillingModel,
)
from workbench.demo.events import Address, Card, Customer

END = START + HORIZON
EARLY_SHARE = 0.35
"""The share of customers who sign up in January, before schema version 2."""
METERED_EVERY = 20
"""Customers 1, 21, 41, ... are on the metered plan: large accounts that stay."""


@dataclass
class Account:
    """One customer as the simulation drives them: their subscription and habits."""

    customer: Customer
    stream: StreamId
    subscription: Subscription
    plan_id: int
    model: BillingModel
    currency: str
    card: Card
    risk: float
    """How likely a payment attempt fails."""
    usage: dict[str, int] = field(default_factory=dict)
    """Daily usage level per meter (metered plans only)."""
    forced_failures: int = 0
    """Payment attempts that fail whatever the risk (customer 1's first)."""
    period_start: date | None = None
    """Where the next billing period starts."""

    @property
    def metered(self) -> bool:
        return bool(self.usage)

    def daily_usage(self, meter: str, day: date, rng: random.Random) -> int:
        """One day's quantity of ``meter``: growing over the months, quieter at weekends."""
        level = self.usage[meter] * (1 + 0.004 * (day - START.date()).days)
        if meter == "api_calls" and day.weekday() >= 5:
            level *= 0.6
        if meter == "active_seats":
            return int(level)
        return int(level * rng.uniform(0.8, 1.2))


def join_time(share: float) -> datetime:
    """When the customer at ``share`` (0 to 1) of the signups joins: the first 35% in
    January (after customer 1), the rest until two weeks before the end."""
    if share < EARLY_SHARE:
        january = SCHEMA_V2_FROM - START - timedelta(minutes=10)
        return START + timedelta(minutes=10) + january * (share / EARLY_SHARE)
    later = END - timedelta(days=14) - SCHEMA_V2_FROM
    return SCHEMA_V2_FROM + later * ((share - EARLY_SHARE) / (1 - EARLY_SHARE))


def new_account(rng: random.Random, number: int, joined: datetime) -> Account:
    """Customer ``number``, joining at ``joined``: January's are all in the eurozone."""
    early = joined < SCHEMA_V2_FROM
    country = rng.choice(EURO_COUNTRIES if early or rng.random() < 0.7 else LATER_COUNTRIES)
    city, postcode = rng.choice(CITIES[country])
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
    domain = re.sub(r"[^a-z]", "", company.split(maxsplit=1)[0].lower())
    customer = Customer(
        id=number,
        name=f"{first} {last}",
        email=f"{local}@{domain}.example",
        company=company,
        address=Address(
            street=f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
            city=city,
            postcode=postcode,
            country=country,
        ),
    )
    metered = number % METERED_EVERY == 1
    model: BillingModel = "monthly"
    if metered:
        plan_id = 4
    else:
        plan_id = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
        model = "yearly" if rng.random() < 0.3 else "monthly"
    account = Account(
        customer=customer,
        stream=StreamId(name=f"subscription-{number}", category="subscription"),
        subscription=Subscription(),
        plan_id=plan_id,
        model=model,
        currency=CURRENCIES.get(country, "EUR"),
        card=Card(brand=rng.choice(CARD_BRANDS), last4=f"{rng.randint(0, 9999):04d}"),
        risk=0.3 if rng.random() < 0.12 and not metered else 0.04,
    )
    if metered:
        account.usage = {
            "api_calls": rng.randint(20_000, 2_000_000),
            "storage_gb": rng.randint(50, 2_000),
            "active_seats": rng.randint(5, 200),
        }
    return account
