"""The demo business's fixed facts: plans and prices, usage meters, fees, and the pools of
names and places customers are drawn from. Amounts are integer cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

BillingModel = Literal["monthly", "yearly"]

START = datetime(2024, 1, 1, tzinfo=UTC)
"""When the demo's history begins."""
HORIZON = timedelta(days=182)
"""How long it runs: about six months."""
SCHEMA_V2_FROM = datetime(2024, 2, 1, tzinfo=UTC)
"""Signups before this were stored as ``CustomerSubscribed`` schema version 1."""

LATE_FEE = 500
"""Charged to the subscription for every failed payment attempt."""
MAX_PAYMENT_ATTEMPTS = 3
"""After this many failed attempts on one invoice the subscription is cancelled."""
RETRY_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class Plan:
    """A plan of the price list; metered plans bill their base price plus rated usage."""

    id: int
    name: str
    monthly: int
    yearly: int | None
    metered: bool = False

    def price(self, model: BillingModel) -> int:
        """The list price of one billing period."""
        if model == "yearly":
            if self.yearly is None:
                raise ValueError(f"plan {self.name} has no yearly price")
            return self.yearly
        return self.monthly


PLANS = {
    1: Plan(1, "Starter", 900, 9_000),
    2: Plan(2, "Team", 2_900, 29_000),
    3: Plan(3, "Business", 7_900, 79_000),
    4: Plan(4, "Scale", 19_900, None, metered=True),
}


def list_price(plan_id: int, model: BillingModel) -> int:
    """The price a plan listed before prices were stored with each subscription."""
    return PLANS[plan_id].price(model)


@dataclass(frozen=True)
class Meter:
    """A usage meter: ``cents`` per ``per`` units."""

    name: str
    per: int
    cents: int

    def rate(self, quantity: int) -> int:
        return quantity * self.cents // self.per


METERS = {
    "api_calls": Meter("api_calls", 1_000, 2),
    "storage_gb": Meter("storage_gb", 10, 1),
    "active_seats": Meter("active_seats", 1, 3),
}


def rate_usage(usage: dict[str, int]) -> int:
    """The charge for a period's usage quantities, meter by meter."""
    return sum(METERS[meter].rate(quantity) for meter, quantity in usage.items())


CURRENCIES = {"GB": "GBP", "US": "USD", "PL": "PLN"}
"""Countries outside the eurozone; every other country pays in EUR."""

CITIES = {
    "DE": (("Berlin", "10115"), ("Hamburg", "20095"), ("Munich", "80331"), ("Cologne", "50667")),
    "FR": (("Paris", "75001"), ("Lyon", "69001"), ("Nantes", "44000")),
    "NL": (("Amsterdam", "1011"), ("Utrecht", "3511"), ("Rotterdam", "3011")),
    "ES": (("Madrid", "28001"), ("Barcelona", "08001"), ("Valencia", "46001")),
    "IT": (("Milan", "20121"), ("Rome", "00184"), ("Turin", "10121")),
    "IE": (("Dublin", "D02"), ("Cork", "T12")),
    "GB": (("London", "EC1A"), ("Manchester", "M1"), ("Leeds", "LS1")),
    "US": (("New York", "10001"), ("Austin", "73301"), ("Seattle", "98101")),
    "PL": (("Warsaw", "00-001"), ("Krakow", "30-001"), ("Gdansk", "80-001")),
}
EURO_COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "IE")
LATER_COUNTRIES = ("GB", "US", "PL")
"""Markets opened with schema version 2, which stores a currency."""

FIRST_NAMES = (
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances",
    "Edsger", "Radia", "Niklaus", "Katherine", "Tim", "Hedy", "John", "Sophie", "Guido",
    "Lena", "Mateo", "Zofia", "Jonas", "Chloe", "Marco",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
    "Allen", "Dijkstra", "Perlman", "Wirth", "Johnson", "Berners-Lee", "Lamarr", "Backus",
    "Wilson", "van Rossum", "Schmidt", "Garcia", "Nowak", "Weber", "Martin", "Rossi",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne",
    "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Oscorp", "Pied Piper", "Monarch",
)  # fmt: skip
COMPANY_SUFFIXES = ("Labs", "GmbH", "Ltd", "Inc", "Studio", "Systems", "Analytics", "Logistics")
STREETS = (
    "Main Street", "Station Road", "Harbour Lane", "Market Square", "Mill Road",
    "Church Street", "Park Avenue", "Bridge Street", "Garden Row", "King's Way",
)  # fmt: skip

CARD_BRANDS = ("visa", "mastercard", "amex")
DECLINE_REASONS = ("card_declined", "insufficient_funds", "expired_card", "processing_error")
CHANNELS = ("web", "mobile", "api", "sales")
