"""The demo's events (amounts in cents), its subscription snapshot, and the schema history of
``CustomerSubscribed``; names start ``demo.`` so they register beside any app's own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from event_sourcery import Event, EventRegistry, upcaster
from workbench.demo.catalog import BillingModel, list_price


class Value(BaseModel):
    """A nested value inside a payload: immutable, strict about its fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(Value):
    street: str
    city: str
    postcode: str
    country: str


class Customer(Value):
    id: int
    name: str
    email: str
    company: str
    address: Address


class Period(Value):
    start: date
    end: date


class InvoiceLine(Value):
    description: str
    quantity: int
    unit_price: int
    amount: int


class Card(Value):
    brand: str
    last4: str


# --- the subscription stream: "subscription-<customer id>", category "subscription" ---


class CustomerSubscribed(Event):
    """A customer took a plan. Version 2 stores the price and currency agreed; version 1
    (the first month's signups) had neither: the list price in EUR applied."""

    __event_name__ = "demo.CustomerSubscribed"
    __schema_version__ = 2

    plan_id: int
    model: BillingModel
    customer: Customer
    price: int
    currency: str


class PlanChanged(Event):
    """The customer moved to another plan or billing model, from the next renewal on."""

    __event_name__ = "demo.PlanChanged"

    previous_plan_id: int
    plan_id: int
    model: BillingModel
    price: int


class UsageRecorded(Event):
    """One day's usage of one meter of a metered plan, imported nightly."""

    __event_name__ = "demo.UsageRecorded"

    meter: str
    day: date
    quantity: int


class SubscriptionRenewed(Event):
    """A billing period began and was invoiced: ``amount`` is its price, the last period's
    rated usage, and ``late_fees`` charged since the last invoice (already owed)."""

    __event_name__ = "demo.SubscriptionRenewed"

    invoice_number: str
    period: Period
    amount: int
    late_fees: int


class LateFeeCharged(Event):
    """A payment attempt on one of the subscription's invoices failed: a fee is owed."""

    __event_name__ = "demo.LateFeeCharged"

    invoice_number: str
    attempt: int
    amount: int


class PaymentReceived(Event):
    """An invoice of the subscription was paid."""

    __event_name__ = "demo.PaymentReceived"

    invoice_number: str
    amount: int


CancelReason = Literal["customer_request", "non_payment"]


class SubscriptionCancelled(Event):
    """The subscription ended: the customer asked, or dunning gave up on an invoice."""

    __event_name__ = "demo.SubscriptionCancelled"

    reason: CancelReason
    effective: date


class SubscriptionSnapshot(Event):
    """A ``Subscription``'s whole state at one version."""

    __event_name__ = "demo.SubscriptionSnapshot"

    customer: Customer | None
    plan_id: int
    model: BillingModel
    price: int
    currency: str
    monthly_amount: int
    balance: int
    late_fees: int
    fees_to_invoice: int
    failed_payments: int
    usage: dict[str, int]
    unbilled_usage: int
    status: str
    renewals: int
    current_period: Period | None


# --- the invoice stream: "invoice-<invoice number>", category "invoice" ---


class InvoiceIssued(Event):
    """An invoice for one billing period, billed to the customer's address."""

    __event_name__ = "demo.InvoiceIssued"

    invoice_number: str
    bill_to: Customer
    period: Period
    lines: list[InvoiceLine]
    total: int
    currency: str
    due_date: date


class PaymentFailed(Event):
    """Charging the card failed; ``next_attempt_at`` is None when no retry follows."""

    __event_name__ = "demo.PaymentFailed"

    attempt: int
    amount: int
    reason: str
    card: Card
    next_attempt_at: datetime | None


class PaymentSucceeded(Event):
    """Charging the card paid the invoice in full."""

    __event_name__ = "demo.PaymentSucceeded"

    attempt: int
    amount: int
    card: Card


class InvoiceVoided(Event):
    """The invoice will not be collected."""

    __event_name__ = "demo.InvoiceVoided"

    reason: str


EVENT_TYPES: tuple[type[Event], ...] = (
    CustomerSubscribed,
    PlanChanged,
    UsageRecorded,
    SubscriptionRenewed,
    LateFeeCharged,
    PaymentReceived,
    SubscriptionCancelled,
    InvoiceIssued,
    PaymentFailed,
    PaymentSucceeded,
    InvoiceVoided,
)
"""Every event type the demo stores in streams (snapshots aside)."""


@upcaster(CustomerSubscribed, from_version=1)
def price_and_currency_of_version_1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 stored no price nor currency: every signup then paid the list price in EUR."""
    return {**data, "price": list_price(data["plan_id"], data["model"]), "currency": "EUR"}


# --- writing version 1 on purpose ---


class CustomerSubscribedV1(Event):
    """``CustomerSubscribed`` as the first release wrote it, only to store such rows (through
    ``LEGACY_REGISTRY``; every Event registers by default, so it has a name of its own)."""

    __event_name__ = "demo.legacy.CustomerSubscribedV1"
    __schema_version__ = 1

    plan_id: int
    model: BillingModel
    customer: Customer


LEGACY_REGISTRY = EventRegistry()
"""A registry in which ``demo.CustomerSubscribed`` is still at schema version 1."""
LEGACY_REGISTRY.add(CustomerSubscribedV1, "demo.CustomerSubscribed")


def as_version_1(event: CustomerSubscribed) -> CustomerSubscribedV1:
    """What the first release stored for ``event`` (its upcast gives ``event`` back)."""
    return CustomerSubscribedV1(plan_id=event.plan_id, model=event.model, customer=event.customer)
