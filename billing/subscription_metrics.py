"""Reads for the staff's subscriptions page: recurring revenue, subscribers, trials, churn,
payments in trouble and promotion code redemptions.

Every figure is counted from the rows the page lists beside it, over the same queryset, so
the two always agree. What counts:

- Every subscription but a duplicate (a second plan that two tabs started at once, canceled
  and refunded automatically). The local test mode's are counted (flagged in the lists):
  they exist only where no Stripe keys are set, and there they are all there is.
- **MRR** (now): active and past-due subscriptions at their plan's list price per month (a
  yearly plan's price / 12), per currency. Trials pay nothing yet; an unpaid subscription
  has stopped retrying its payment; neither counts.
- **Paying**: a subscription with a paid billing-period invoice (not only a trial's $0 one).
- **Trial conversion** (period): trials whose end fell in the period (and has passed), and
  which of them have paid a billing period since.
- **Churn** (period): paying subscriptions that ended in the period, over those paying and
  live when the period started.
- **Redemptions** (period): paid pack purchases and completed plan checkouts that carried a
  promotion code — the rows the Promotions page counts per code.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from billing.models import (
    AllowanceGrant,
    PlanSubscription,
    Purchase,
    SubscriptionCheckout,
    SubscriptionInvoice,
    SubscriptionPlan,
)

Status = PlanSubscription.Status
MRR_STATUSES = (Status.ACTIVE, Status.PAST_DUE)
TROUBLE_STATUSES = (Status.PAST_DUE, Status.UNPAID)


def counted_subscriptions() -> QuerySet[PlanSubscription]:
    """Subscriptions that count (not duplicates), with their plan and subscriber, annotated
    `paying` (a billing period was paid)."""
    paid_period = SubscriptionInvoice.objects.filter(
        subscription=OuterRef("pk"), kind=SubscriptionInvoice.Kind.PERIOD, amount_paid__gt=0)
    return (PlanSubscription.objects.filter(duplicate=False)
            .select_related("plan", "user").annotate(paying=Exists(paid_period)))


def live_subscriptions() -> QuerySet[PlanSubscription]:
    return counted_subscriptions().filter(status__in=PlanSubscription.LIVE)


@dataclass(frozen=True)
class Revenue:
    currency: str
    cents: int
    subscriptions: int


def _per_month(cents: int, plan: SubscriptionPlan) -> Decimal:
    return Decimal(cents) / plan.months


def _rounded(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mrr_subscriptions() -> QuerySet[PlanSubscription]:
    return counted_subscriptions().filter(status__in=MRR_STATUSES)


def monthly_recurring_revenue() -> list[Revenue]:
    """MRR per currency (largest first), in the smallest unit: the sum over
    `mrr_subscriptions()` of each plan's price per month, rounded once at the end."""
    totals: dict[str, list] = {}
    plans = (mrr_subscriptions().values("plan").annotate(n=Count("id"))
             .values_list("plan", "n"))
    by_id = SubscriptionPlan.objects.in_bulk([plan for plan, _ in plans])
    for plan_id, count in plans:
        plan = by_id[plan_id]
        total = totals.setdefault(plan.currency, [Decimal(0), 0])
        total[0] += _per_month(plan.price_cents, plan) * count
        total[1] += count
    revenue = [Revenue(currency, _rounded(cents), n) for currency, (cents, n) in totals.items()]
    return sorted(revenue, key=lambda r: -r.cents)


@dataclass(frozen=True)
class PlanCounts:
    plan: SubscriptionPlan
    trialing: int
    active: int
    past_due: int
    unpaid: int
    mrr_cents: int

    @property
    def total(self) -> int:
        return self.trialing + self.active + self.past_due + self.unpaid


def subscribers_by_plan() -> list[PlanCounts]:
    """Live subscriptions per plan and status (plans with none left out), in the plans'
    order, with each plan's share of MRR."""
    counts: dict[int, dict[str, int]] = {}
    for plan_id, status, n in (live_subscriptions().values("plan", "status")
                               .annotate(n=Count("id")).values_list("plan", "status", "n")):
        counts.setdefault(plan_id, {})[status] = n
    rows = []
    for plan in SubscriptionPlan.objects.filter(pk__in=counts).order_by(
            "sort_order", "tokens_per_month", "interval"):
        by_status = counts[plan.pk]
        paying = by_status.get(Status.ACTIVE, 0) + by_status.get(Status.PAST_DUE, 0)
        rows.append(PlanCounts(
            plan=plan, trialing=by_status.get(Status.TRIALING, 0),
            active=by_status.get(Status.ACTIVE, 0), past_due=by_status.get(Status.PAST_DUE, 0),
            unpaid=by_status.get(Status.UNPAID, 0),
            mrr_cents=_rounded(_per_month(plan.price_cents, plan) * paying)))
    return rows


def trialing_subscriptions() -> QuerySet[PlanSubscription]:
    return live_subscriptions().filter(status=Status.TRIALING).order_by("trial_end", "pk")


def subscriptions_in_trouble() -> QuerySet[PlanSubscription]:
    """Past due (Stripe is retrying the renewal) or unpaid (it stopped): oldest first."""
    return live_subscriptions().filter(status__in=TROUBLE_STATUSES).order_by("updated_at", "pk")


def cancelling_subscriptions() -> QuerySet[PlanSubscription]:
    """Live subscriptions that end at their period's end, soonest first, with the reason
    their owners gave."""
    return live_subscriptions().filter(cancel_at_period_end=True).order_by(
        "current_period_end", "pk")


def started_subscriptions(*, start: datetime, end: datetime) -> QuerySet[PlanSubscription]:
    return counted_subscriptions().filter(started_at__gte=start, started_at__lt=end).order_by(
        "-started_at", "-pk")


def ended_trials(*, start: datetime, end: datetime, now: datetime) -> QuerySet[PlanSubscription]:
    """Trials whose end fell in [start, end) and is past, newest first; `paying` says which
    converted."""
    return counted_subscriptions().filter(
        trial_end__gte=start, trial_end__lt=min(end, now)).order_by("-trial_end", "-pk")


def churned_subscriptions(*, start: datetime, end: datetime) -> QuerySet[PlanSubscription]:
    """Paying subscriptions that ended in [start, end), newest first."""
    return counted_subscriptions().filter(
        paying=True, ended_at__gte=start, ended_at__lt=end).order_by("-ended_at", "-pk")


def paying_at(moment: datetime) -> QuerySet[PlanSubscription]:
    """Subscriptions live at `moment` that had paid a billing period before it."""
    paid_before = SubscriptionInvoice.objects.filter(
        subscription=OuterRef("pk"), kind=SubscriptionInvoice.Kind.PERIOD, amount_paid__gt=0,
        paid_at__lt=moment)
    return counted_subscriptions().filter(
        Exists(paid_before), started_at__lt=moment).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=moment))


@dataclass(frozen=True)
class Redemption:
    at: datetime
    code: str
    email: str
    user_id: int | None
    what: str
    charged_cents: int
    discount_cents: int
    currency: str


def redemptions(*, start: datetime, end: datetime) -> list[Redemption]:
    """Promotion codes redeemed in [start, end), newest first: paid pack purchases and
    completed plan checkouts that carried one."""
    purchases = (Purchase.objects.filter(
        promotion_code__isnull=False, status__in=Purchase.PAID_STATUSES,
        paid_at__gte=start, paid_at__lt=end).select_related("promotion_code", "user", "pack"))
    checkouts = (SubscriptionCheckout.objects.filter(
        promotion_code__isnull=False, status=SubscriptionCheckout.Status.COMPLETE,
        completed_at__gte=start, completed_at__lt=end)
        .select_related("promotion_code", "user", "plan"))
    rows = [Redemption(
        at=p.paid_at, code=p.promotion_code.code, email=p.user.email, user_id=p.user_id,
        what=f"{p.quantity} × {p.pack.name}", charged_cents=p.amount_total,
        discount_cents=p.discount_cents, currency=p.currency) for p in purchases]
    rows += [Redemption(
        at=c.completed_at, code=c.promotion_code.code, email=c.user.email, user_id=c.user_id,
        what=f"{c.plan.name} plan", charged_cents=c.amount_total,
        discount_cents=c.amount_subtotal - c.amount_total, currency=c.currency)
        for c in checkouts]
    return sorted(rows, key=lambda r: r.at, reverse=True)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def allowance_tokens(*, start: datetime, end: datetime) -> dict[str, int]:
    """Allowance tokens granted in [start, end) by kind, and clawed back from them."""
    grants = AllowanceGrant.objects.filter(
        created_at__gte=start, created_at__lt=end, invoice__subscription__duplicate=False)
    totals = dict(grants.values("kind").annotate(n=Sum("tokens")).values_list("kind", "n"))
    totals["clawed_back"] = grants.aggregate(n=Sum("tokens_clawed_back"))["n"] or 0
    return totals
