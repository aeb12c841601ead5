"""Reads about plans and subscriptions: the pricing page's plans, an account's live plan,
its allowance, its paid invoices, and the banner for a failed renewal."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    AllowanceGrant,
    BillingCustomer,
    PlanSubscription,
    SubscriptionInvoice,
    SubscriptionPlan,
)
from config.shared_tables import SharedRows, SharedTable
from tokens.references import Described


def list_active_plans() -> QuerySet[SubscriptionPlan]:
    return SubscriptionPlan.objects.filter(active=True).order_by(
        "sort_order", "tokens_per_month", "interval")


# The pricing page's plans, from the shared cache (a checkout reads its plan afresh).
PLAN_TABLE = SharedTable("plans", lambda: list(list_active_plans()))


def get_active_plan(slug: str) -> SubscriptionPlan | None:
    return list_active_plans().filter(slug=slug).first()


@dataclass(frozen=True)
class PlanOffer:
    plan: SubscriptionPlan
    # A yearly plan's saving against twelve months of the monthly plan with the same
    # allowance (0 when there is none to compare with).
    save_percent: int


def list_plan_offers() -> list[PlanOffer]:
    plans = PLAN_TABLE.get()
    monthly = {(p.tokens_per_month, p.currency): p for p in plans
               if p.interval == SubscriptionPlan.Interval.MONTH}
    offers = []
    for plan in plans:
        save = 0
        twin = monthly.get((plan.tokens_per_month, plan.currency))
        if plan.interval == SubscriptionPlan.Interval.YEAR and twin is not None:
            save = max(0, int(100 - plan.price_cents * 100 / (twin.price_cents * 12)))
        offers.append(PlanOffer(plan=plan, save_percent=save))
    return offers


def get_live_subscription(account_id: int) -> PlanSubscription | None:
    """The account's one live (trialing, active, past due, unpaid) subscription."""
    return PlanSubscription.objects.select_related("plan").filter(
        token_account_id=account_id, duplicate=False,
        status__in=PlanSubscription.LIVE).first()


def has_billing_customer(account_id: int) -> bool:
    """The account has a Stripe Customer: there is something to manage in the portal."""
    return BillingCustomer.objects.filter(token_account_id=account_id).exists()


def has_had_subscription(account_id: int) -> bool:
    return PlanSubscription.objects.filter(token_account_id=account_id).exists()


@dataclass(frozen=True)
class Allowance:
    granted: int
    left: int
    expires_at: datetime | None


def get_current_allowance(subscription: PlanSubscription, *,
                          now: datetime | None = None) -> Allowance:
    """What the plan granted for the month under way (allowance, carried over, upgrade
    difference or trial) and how much of it is left."""
    now = now or timezone.now()
    current = AllowanceGrant.objects.filter(
        invoice__subscription=subscription, starts_at__lte=now, expires_at__gt=now)
    # The month under way is the latest allowance (or trial) granted: a trial that a new
    # period ended early, or a month that a restarted period replaced, is not part of it.
    latest = current.filter(kind__in=(AllowanceGrant.Kind.ALLOWANCE,
                                      AllowanceGrant.Kind.TRIAL)).order_by("-pk").first()
    grants = current.filter(
        Q(invoice_id=latest.invoice_id, month=latest.month)
        | Q(kind=AllowanceGrant.Kind.PRORATION, pk__gt=latest.pk)) if latest else current.none()
    totals = grants.aggregate(granted=Sum("tokens"), left=Sum("lot_entry__lot__remaining"))
    return Allowance(granted=totals["granted"] or 0, left=totals["left"] or 0,
                     expires_at=grants.order_by("expires_at").values_list(
                         "expires_at", flat=True).first())


def list_subscription_invoices(account_id: int) -> QuerySet[SubscriptionInvoice]:
    """An account's paid subscription invoices (periods, trials, upgrades), newest first."""
    return SubscriptionInvoice.objects.filter(
        subscription__token_account_id=account_id).select_related("plan").order_by(
        "-paid_at", "-id")


def get_billing_alert(account_id: int | None) -> PlanSubscription | None:
    """The account's subscription whose renewal failed, for the in-app banner."""
    if account_id is None:
        return None
    return PlanSubscription.objects.select_related("plan").filter(
        token_account_id=account_id, duplicate=False,
        status__in=(PlanSubscription.Status.PAST_DUE, PlanSubscription.Status.UNPAID)).first()


def get_cached_billing_alert(account_id: int) -> dict | None:
    """`get_billing_alert` for the banner on every page: {"plan_name"} or None. Kept in each
    process until a subscription or a plan changes (`BILLING_ALERTS`)."""
    return BILLING_ALERTS.get(account_id)


def _read_billing_alert(account_id: int) -> dict | None:
    alert = get_billing_alert(account_id)
    return {"plan_name": alert.plan.name} if alert else None


# Renewed when a subscription or plan is saved or deleted (billing/apps.py) and by the
# services that change a subscription's status with a plain update.
BILLING_ALERTS = SharedRows("billing-alerts", _read_billing_alert)


def describe_invoice_references(references: list[str]) -> dict[str, Described]:
    """Allowance lots refer to their invoice (`in_…`): "Pro plan allowance" on usage pages."""
    url = reverse("billing:history")
    return {
        invoice_id: Described(text=f"{plan} plan", url=url)
        for invoice_id, plan in SubscriptionInvoice.objects.filter(
            stripe_invoice_id__in=references).values_list("stripe_invoice_id", "plan__name")
    }


def user_subscriptions_data(user) -> list[dict]:
    """The plans of the user's account and their paid invoices, for their data export."""
    if not user.token_account_id:
        return []
    rows = PlanSubscription.objects.filter(token_account_id=user.token_account_id,
                                           duplicate=False).select_related("plan")
    invoices = SubscriptionInvoice.objects.filter(
        subscription__token_account_id=user.token_account_id).select_related("plan")
    return [
        {"id": str(row.public_id), "plan": row.plan.name, "status": row.status,
         "test_mode": row.test_mode, "started_at": row.created_at,
         "current_period_end": row.current_period_end,
         "cancel_at_period_end": row.cancel_at_period_end, "cancel_reason": row.cancel_reason,
         "invoices": [
             {"number": invoice.number, "kind": invoice.kind, "plan": invoice.plan.name,
              "period_start": invoice.period_start, "period_end": invoice.period_end,
              "amount_paid": invoice.amount_paid, "currency": invoice.currency,
              "amount_refunded": invoice.amount_refunded, "paid_at": invoice.paid_at}
             for invoice in invoices if invoice.subscription_id == row.pk]}
        for row in rows
    ]
