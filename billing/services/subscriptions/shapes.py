"""Reading Stripe's Subscription and Invoice objects, in the API version we pin and the
older shapes some webhook endpoints still send.

Since API 2025-03-31 an invoice names its subscription under
`parent.subscription_details.subscription`, a line its price under
`pricing.price_details.price` and its proration under `parent.subscription_item_details`,
and a subscription's period lives on its items. These helpers read either shape, so the
rest of billing reads plain values.
"""

from dataclasses import dataclass
from datetime import UTC, datetime


def stripe_id(value) -> str:
    """Stripe sends related objects as an id or, when expanded, as an object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def when(timestamp) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


@dataclass(frozen=True)
class InvoiceLine:
    price_id: str
    amount: int
    proration: bool
    period_start: datetime
    period_end: datetime


def invoice_subscription_id(invoice: dict) -> str:
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    return stripe_id(details.get("subscription")) or stripe_id(invoice.get("subscription"))


def _line_price(line: dict) -> str:
    details = ((line.get("pricing") or {}).get("price_details") or {})
    return stripe_id(details.get("price")) or stripe_id(line.get("price"))


def _line_proration(line: dict) -> bool:
    parent = line.get("parent") or {}
    for key in ("subscription_item_details", "invoice_item_details"):
        if parent.get(key):
            return bool(parent[key].get("proration"))
    return bool(line.get("proration"))


def invoice_lines(invoice: dict) -> list[InvoiceLine]:
    lines = []
    for line in (invoice.get("lines") or {}).get("data") or []:
        period = line.get("period") or {}
        lines.append(InvoiceLine(
            price_id=_line_price(line), amount=int(line.get("amount") or 0),
            proration=_line_proration(line), period_start=when(period.get("start")),
            period_end=when(period.get("end"))))
    return lines


def invoice_payment_intent(invoice: dict) -> str:
    """The PaymentIntent that paid the invoice: `payments` (when expanded) or the older
    top-level field."""
    for payment in ((invoice.get("payments") or {}).get("data") or []):
        found = stripe_id((payment.get("payment") or {}).get("payment_intent"))
        if found:
            return found
    return stripe_id(invoice.get("payment_intent"))


def invoice_paid_at(invoice: dict) -> datetime | None:
    transitions = invoice.get("status_transitions") or {}
    return when(transitions.get("paid_at")) or when(invoice.get("created"))


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    customer_id: str
    status: str
    price_id: str
    current_period_start: datetime | None
    current_period_end: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    cancel_reason: str
    canceled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    metadata: dict
    latest_invoice_id: str


def subscription_state(subscription: dict) -> SubscriptionState:
    items = (subscription.get("items") or {}).get("data") or [{}]
    item = items[0]
    price = item.get("price") or {}
    details = subscription.get("cancellation_details") or {}
    reason = details.get("comment") or details.get("feedback") or ""
    return SubscriptionState(
        id=subscription.get("id") or "",
        customer_id=stripe_id(subscription.get("customer")),
        status=subscription.get("status") or "",
        price_id=stripe_id(price) or stripe_id(item.get("plan") or {}),
        current_period_start=when(item.get("current_period_start")
                                  or subscription.get("current_period_start")),
        current_period_end=when(item.get("current_period_end")
                                or subscription.get("current_period_end")),
        trial_end=when(subscription.get("trial_end")),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        cancel_reason=str(reason)[:500],
        canceled_at=when(subscription.get("canceled_at")),
        started_at=when(subscription.get("start_date")),
        ended_at=when(subscription.get("ended_at")),
        metadata=subscription.get("metadata") or {},
        latest_invoice_id=stripe_id(subscription.get("latest_invoice")),
    )
