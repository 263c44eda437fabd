"""The demo's aggregates: a customer's ``Subscription`` (balance, plan, usage, dunning) and an
``Invoice`` (amount due, payment attempts). Commands check the rules and emit events."""

from __future__ import annotations

from datetime import date, datetime

from event_sourcery import Aggregate, Event, applies
from workbench.demo.catalog import METERS, PLANS, BillingModel, rate_usage
from workbench.demo.events import (
    CancelReason,
    Card,
    Customer,
    CustomerSubscribed,
    InvoiceIssued,
    InvoiceLine,
    InvoiceVoided,
    LateFeeCharged,
    PaymentFailed,
    PaymentReceived,
    PaymentSucceeded,
    Period,
    PlanChanged,
    SubscriptionCancelled,
    SubscriptionRenewed,
    SubscriptionSnapshot,
    UsageRecorded,
)


class BillingRuleBroken(ValueError):
    """A command that the aggregate's current state does not allow."""


class Subscription(Aggregate):
    """One customer's subscription: ``balance`` is what they owe (renewals, usage and late
    fees, the fees invoiced with the next renewal, less payments)."""

    category = "subscription"

    def __init__(self) -> None:
        self.customer: Customer | None = None
        self.plan_id = 0
        self.model: BillingModel = "monthly"
        self.price = 0
        self.currency = "EUR"
        self.monthly_amount = 0
        self.balance = 0
        self.late_fees = 0
        """Every late fee charged so far."""
        self.fees_to_invoice = 0
        self.failed_payments = 0
        self.usage: dict[str, int] = {}
        """Quantities per meter since the last renewal."""
        self.unbilled_usage = 0
        self.status = "new"
        self.renewals = 0
        self.current_period: Period | None = None

    # --- commands ---

    def subscribe(
        self, customer: Customer, plan_id: int, model: BillingModel, price: int, currency: str
    ) -> None:
        if self.status != "new":
            raise BillingRuleBroken(f"customer {customer.id} is already subscribed")
        self._emit(
            CustomerSubscribed(
                plan_id=plan_id, model=model, customer=customer, price=price, currency=currency
            )
        )

    def change_plan(self, plan_id: int, model: BillingModel, price: int) -> None:
        self._require_open("change plans")
        if (plan_id, model) == (self.plan_id, self.model):
            raise BillingRuleBroken(f"already on plan {plan_id} ({model})")
        self._emit(
            PlanChanged(previous_plan_id=self.plan_id, plan_id=plan_id, model=model, price=price)
        )

    def record_usage(self, meter: str, day: date, quantity: int) -> None:
        self._require_open("record usage")
        if not PLANS[self.plan_id].metered or meter not in METERS:
            raise BillingRuleBroken(f"plan {self.plan_id} does not meter {meter}")
        self._emit(UsageRecorded(meter=meter, day=day, quantity=quantity))

    def renew(self, invoice_number: str, period: Period) -> None:
        self._require_open("renew")
        fees = self.fees_to_invoice
        amount = self.price + self.unbilled_usage + fees
        self._emit(
            SubscriptionRenewed(
                invoice_number=invoice_number, period=period, amount=amount, late_fees=fees
            )
        )

    def charge_late_fee(self, invoice_number: str, attempt: int, amount: int) -> None:
        self._emit(LateFeeCharged(invoice_number=invoice_number, attempt=attempt, amount=amount))

    def receive_payment(self, invoice_number: str, amount: int) -> None:
        if amount <= 0:
            raise BillingRuleBroken(f"a payment of {amount} is no payment")
        self._emit(PaymentReceived(invoice_number=invoice_number, amount=amount))

    def cancel(self, reason: CancelReason, effective: date) -> None:
        self._require_open("cancel")
        self._emit(SubscriptionCancelled(reason=reason, effective=effective))

    def _require_open(self, doing: str) -> None:
        if self.status in ("new", "cancelled"):
            raise BillingRuleBroken(f"a {self.status} subscription cannot {doing}")

    # --- state changes ---

    @applies(CustomerSubscribed)
    def _subscribed(self, event: CustomerSubscribed) -> None:
        self.customer = event.customer
        self._set_plan(event.plan_id, event.model, event.price)
        self.currency = event.currency
        self.status = "active"

    @applies(PlanChanged)
    def _plan_changed(self, event: PlanChanged) -> None:
        self._set_plan(event.plan_id, event.model, event.price)

    @applies(UsageRecorded)
    def _usage_recorded(self, event: UsageRecorded) -> None:
        self.usage = {**self.usage, event.meter: self.usage.get(event.meter, 0) + event.quantity}
        self.unbilled_usage = rate_usage(self.usage)

    @applies(SubscriptionRenewed)
    def _renewed(self, event: SubscriptionRenewed) -> None:
        self.balance += event.amount - event.late_fees
        self.fees_to_invoice -= event.late_fees
        self.renewals += 1
        self.current_period = event.period
        self.usage = {}
        self.unbilled_usage = 0

    @applies(LateFeeCharged)
    def _late_fee_charged(self, event: LateFeeCharged) -> None:
        self.balance += event.amount  # the old rule left this out: before_late_fees
        self.late_fees += event.amount
        self.fees_to_invoice += event.amount
        self.failed_payments += 1
        if self.status != "cancelled":
            self.status = "past_due"

    @applies(PaymentReceived)
    def _payment_received(self, event: PaymentReceived) -> None:
        self.balance -= event.amount
        if self.status == "past_due":
            self.status = "active"

    @applies(SubscriptionCancelled)
    def _cancelled(self, event: SubscriptionCancelled) -> None:
        self.status = "cancelled"

    def _set_plan(self, plan_id: int, model: BillingModel, price: int) -> None:
        self.plan_id, self.model, self.price = plan_id, model, price
        self.monthly_amount = price if model == "monthly" else price // 12

    # --- snapshots ---

    def __snapshot__(self) -> SubscriptionSnapshot:
        return SubscriptionSnapshot(
            customer=self.customer,
            plan_id=self.plan_id,
            model=self.model,
            price=self.price,
            currency=self.currency,
            monthly_amount=self.monthly_amount,
            balance=self.balance,
            late_fees=self.late_fees,
            fees_to_invoice=self.fees_to_invoice,
            failed_payments=self.failed_payments,
            usage=dict(self.usage),
            unbilled_usage=self.unbilled_usage,
            status=self.status,
            renewals=self.renewals,
            current_period=self.current_period,
        )

    def __restore__(self, snapshot: Event) -> None:
        if not isinstance(snapshot, SubscriptionSnapshot):
            raise TypeError(f"a Subscription cannot restore {type(snapshot).__name__}")
        for name, value in snapshot:
            setattr(self, name, dict(value) if isinstance(value, dict) else value)


def before_late_fees(snapshot: SubscriptionSnapshot) -> SubscriptionSnapshot:
    """The snapshot the old rule (late fees counted, but not added to the balance) took of
    the same events: the demo stores one such snapshot, for the audit to find."""
    return snapshot.model_copy(update={"balance": snapshot.balance - snapshot.late_fees})


class Invoice(Aggregate):
    """One invoice: issued once, then paid in full, or voided after failed attempts."""

    category = "invoice"

    def __init__(self) -> None:
        self.invoice_number = ""
        self.customer_id = 0
        self.currency = "EUR"
        self.total = 0
        self.amount_due = 0
        self.attempts = 0
        self.status = "draft"
        self.due_date: date | None = None

    def issue(
        self,
        invoice_number: str,
        *,
        bill_to: Customer,
        period: Period,
        lines: list[InvoiceLine],
        currency: str,
        due_date: date,
    ) -> None:
        if self.status != "draft":
            raise BillingRuleBroken(f"invoice {self.invoice_number} was issued already")
        total = sum(line.amount for line in lines)
        self._emit(
            InvoiceIssued(
                invoice_number=invoice_number,
                bill_to=bill_to,
                period=period,
                lines=lines,
                total=total,
                currency=currency,
                due_date=due_date,
            )
        )

    def fail_payment(self, reason: str, card: Card, next_attempt_at: datetime | None) -> None:
        self._require_open()
        self._emit(
            PaymentFailed(
                attempt=self.attempts + 1,
                amount=self.amount_due,
                reason=reason,
                card=card,
                next_attempt_at=next_attempt_at,
            )
        )

    def pay(self, card: Card) -> None:
        self._require_open()
        self._emit(PaymentSucceeded(attempt=self.attempts + 1, amount=self.amount_due, card=card))

    def void(self, reason: str) -> None:
        self._require_open()
        self._emit(InvoiceVoided(reason=reason))

    def _require_open(self) -> None:
        if self.status != "open":
            raise BillingRuleBroken(f"invoice {self.invoice_number} is {self.status}")

    @applies(InvoiceIssued)
    def _issued(self, event: InvoiceIssued) -> None:
        self.invoice_number = event.invoice_number
        self.customer_id = event.bill_to.id
        self.currency = event.currency
        self.total = self.amount_due = event.total
        self.due_date = event.due_date
        self.status = "open"

    @applies(PaymentFailed)
    def _payment_failed(self, event: PaymentFailed) -> None:
        self.attempts = event.attempt

    @applies(PaymentSucceeded)
    def _payment_succeeded(self, event: PaymentSucceeded) -> None:
        self.attempts = event.attempt
        self.amount_due -= event.amount
        self.status = "paid"

    @applies(InvoiceVoided)
    def _voided(self, event: InvoiceVoided) -> None:
        self.status = "void"
