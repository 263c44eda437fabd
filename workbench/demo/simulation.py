"""Six months of the demo business as operations on the aggregates, run in time order: signups,
renewals, payments and dunning, plan changes, nightly usage, cancellations."""

from __future__ import annotations

import calendar
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from uuid import UUID

from event_sourcery import Context, StreamId
from workbench.demo.aggregates import Invoice, Subscription
from workbench.demo.catalog import (
    CHANNELS,
    DECLINE_REASONS,
    LATE_FEE,
    MAX_PAYMENT_ATTEMPTS,
    METERS,
    PLANS,
    RETRY_AFTER,
    SCHEMA_V2_FROM,
    START,
    BillingModel,
    list_price,
)
from workbench.demo.customers import END, Account, join_time, new_account
from workbench.demo.events import InvoiceLine, Period
from workbench.demo.writer import BudgetSpent, Writer

DRIFT_STREAM = StreamId(name="subscription-1", category="subscription")
"""Customer 1 (metered, a late fee on day one) gets the one drifted snapshot."""


@dataclass
class Dunning:
    """An open invoice being collected, and the operation it belongs to."""

    stream: StreamId
    invoice: Invoice
    correlation: UUID
    cause: UUID


def context(correlation: UUID, cause: UUID | None, actor: str, **extra: str) -> Context:
    """The context of one step: its operation, the event that caused it, who acted."""
    if cause is None:
        return Context(correlation_id=correlation, actor=actor, **extra)
    return Context(correlation_id=correlation, causation_id=cause, actor=actor, **extra)


def add_months(day: date, months: int) -> date:
    """``day`` that many months later, the day clipped to the month's length."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Simulation:
    """Operations in a time-ordered queue; running them writes the demo's history."""

    def __init__(self, writer: Writer, rng: random.Random, customers: int) -> None:
        self.writer = writer
        self.rng = rng
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.order = itertools.count()
        self.invoice_numbers = itertools.count(1)
        self.metered: list[Account] = []
        others = customers - 1  # joining evenly spread over the months, one per slot
        joins = [join_time((slot + rng.random()) / others) for slot in range(others)]
        for number, joined in enumerate([START + timedelta(minutes=5), *joins], start=1):
            account = new_account(rng, number, joined)
            if number == 1:
                account.forced_failures, account.risk = 1, 0.0
            self.schedule(joined, partial(self._signup, account))
        self.schedule(START + timedelta(days=1, hours=2), self._usage_run)

    def schedule(self, at: datetime, action: Callable[[datetime], None]) -> None:
        if at < END:
            heapq.heappush(self.queue, (at, next(self.order), action))

    def run(self) -> None:
        """Run every operation in time order, until the horizon or the event budget."""
        try:
            while self.queue:
                at, _, action = heapq.heappop(self.queue)
                action(at)
        except BudgetSpent:
            self.queue.clear()

    def _later(self, at: datetime, low: int = 40, high: int = 900) -> datetime:
        return at + timedelta(milliseconds=self.rng.randint(low, high))

    # --- customers ---

    def _signup(self, account: Account, at: datetime) -> None:
        customer, rng = account.customer, self.rng
        correlation = self.writer.new_id()
        account.subscription.subscribe(
            customer,
            account.plan_id,
            account.model,
            list_price(account.plan_id, account.model),
            account.currency,
        )
        channel = rng.choice(CHANNELS)
        step = context(correlation, None, f"customer:{customer.id}", channel=channel)
        legacy = at < SCHEMA_V2_FROM
        [subscribed] = self.writer.write(
            account.stream, account.subscription, at, step, legacy=legacy
        )
        account.period_start = at.date()
        first_bill = partial(self._renew, account, correlation, subscribed)
        self.schedule(at + timedelta(seconds=rng.uniform(1, 30)), first_bill)
        if account.metered:  # large accounts: they stay
            self.metered.append(account)
            return
        if rng.random() < 0.2:
            self.schedule(at + timedelta(days=rng.uniform(10, 120)), partial(self._change, account))
        if rng.random() < 0.08:
            self.schedule(at + timedelta(days=rng.uniform(20, 150)), partial(self._cancel, account))

    def _change(self, account: Account, at: datetime) -> None:
        subscription, rng = account.subscription, self.rng
        if subscription.status not in ("active", "past_due"):
            return
        models: tuple[BillingModel, ...] = ("monthly", "yearly")
        options = [
            (plan, model)
            for plan in (1, 2, 3)
            for model in models
            if (plan, model) != (subscription.plan_id, subscription.model)
        ]
        weights = [plan + (1 if plan > subscription.plan_id else 0) for plan, _ in options]
        plan_id, model = rng.choices(options, weights=weights)[0]
        subscription.change_plan(plan_id, model, list_price(plan_id, model))
        actor = f"customer:{account.customer.id}" if rng.random() < 0.8 else "support:agent-7"
        step = context(self.writer.new_id(), None, actor, channel=rng.choice(CHANNELS))
        self.writer.write(account.stream, subscription, at, step)

    def _cancel(self, account: Account, at: datetime) -> None:
        subscription = account.subscription
        if subscription.status not in ("active", "past_due"):
            return
        subscription.cancel("customer_request", at.date())
        actor = f"customer:{account.customer.id}"
        step = context(self.writer.new_id(), None, actor, channel=self.rng.choice(CHANNELS))
        self.writer.write(account.stream, subscription, at, step)

    # --- billing ---

    def _renew(
        self, account: Account, correlation: UUID | None, cause: UUID | None, at: datetime
    ) -> None:
        subscription = account.subscription
        if subscription.status not in ("active", "past_due") or account.period_start is None:
            return
        correlation = correlation or self.writer.new_id()
        start = account.period_start
        end = add_months(start, 1 if subscription.model == "monthly" else 12)
        period = Period(start=start, end=end)
        number = f"{start.year}-{next(self.invoice_numbers):06d}"
        lines = _invoice_lines(subscription)
        subscription.renew(number, period)
        step = context(correlation, cause, "system:billing")
        [renewed] = self.writer.write(account.stream, subscription, at, step)
        invoice = Invoice()
        invoice.issue(
            number,
            bill_to=account.customer,
            period=period,
            lines=lines,
            currency=subscription.currency,
            due_date=start + timedelta(days=14),
        )
        stream = StreamId(name=f"invoice-{number}", category="invoice")
        step = context(correlation, renewed, "system:billing")
        [issued] = self.writer.write(stream, invoice, self._later(at), step)
        dunning = Dunning(stream, invoice, correlation, issued)
        collect_at = at + timedelta(hours=self.rng.uniform(0.5, 20))
        self.schedule(collect_at, partial(self._collect, account, dunning))
        account.period_start = end
        renew_at = datetime.combine(end, at.timetz())
        self.schedule(renew_at, partial(self._renew, account, None, None))

    def _collect(self, account: Account, dunning: Dunning, at: datetime) -> None:
        invoice, subscription, rng = dunning.invoice, account.subscription, self.rng
        if invoice.status != "open":
            return
        attempt = invoice.attempts + 1
        fails = account.forced_failures > 0 or rng.random() < account.risk * (1 + attempt / 2)
        account.forced_failures = max(0, account.forced_failures - 1)
        step = context(dunning.correlation, dunning.cause, "system:payments")
        if not fails:
            invoice.pay(account.card)
            [paid] = self.writer.write(dunning.stream, invoice, at, step)
            subscription.receive_payment(invoice.invoice_number, invoice.total)
            step = context(dunning.correlation, paid, "system:payments")
            self.writer.write(account.stream, subscription, self._later(at), step)
            return
        last = attempt >= MAX_PAYMENT_ATTEMPTS
        retry_at = None if last else at + RETRY_AFTER + timedelta(minutes=rng.randint(0, 90))
        invoice.fail_payment(rng.choice(DECLINE_REASONS), account.card, retry_at)
        [failed] = self.writer.write(dunning.stream, invoice, at, step)
        subscription.charge_late_fee(invoice.invoice_number, attempt, LATE_FEE)
        if last and subscription.status != "cancelled":
            subscription.cancel("non_payment", at.date())
        step = context(dunning.correlation, failed, "system:dunning")
        charged = self.writer.write(account.stream, subscription, self._later(at), step)
        if retry_at is not None:
            dunning.cause = failed
            self.schedule(retry_at, partial(self._collect, account, dunning))
            return
        invoice.void(f"uncollectible after {attempt} failed payment attempts")
        step = context(dunning.correlation, charged[-1], "system:dunning")
        self.writer.write(dunning.stream, invoice, self._later(at, 1_000, 3_000), step)

    # --- metering ---

    def _usage_run(self, at: datetime) -> None:
        """The nightly import: yesterday's usage of every metered subscription, one
        operation (one correlation id) for all of them."""
        correlation, day = self.writer.new_id(), (at - timedelta(days=1)).date()
        step = context(correlation, None, "system:metering")
        moment = at
        for account in self.metered:
            subscription = account.subscription
            if subscription.status not in ("active", "past_due"):
                continue
            for meter in METERS:
                subscription.record_usage(meter, day, account.daily_usage(meter, day, self.rng))
            self.writer.write(account.stream, subscription, moment, step)
            moment = self._later(moment, 20, 400)
        self.schedule(at + timedelta(days=1), self._usage_run)


def _invoice_lines(subscription: Subscription) -> list[InvoiceLine]:
    """The plan's price, the last period's usage meter by meter, and late fees."""
    plan = PLANS[subscription.plan_id]
    lines = [
        InvoiceLine(
            description=f"{plan.name} plan, {subscription.model}",
            quantity=1,
            unit_price=subscription.price,
            amount=subscription.price,
        )
    ]
    for name, quantity in sorted(subscription.usage.items()):
        meter = METERS[name]
        lines.append(
            InvoiceLine(
                description=f"{name} (per {meter.per:,})",
                quantity=quantity,
                unit_price=meter.cents,
                amount=meter.rate(quantity),
            )
        )
    fees = subscription.fees_to_invoice
    if fees:
        count = fees // LATE_FEE
        lines.append(
            InvoiceLine(description="late fees", quantity=count, unit_price=LATE_FEE, amount=fees)
        )
    return lines
