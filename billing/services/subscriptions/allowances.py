"""Granting a plan's allowance from paid invoices, month by month, exactly once.

Each paid subscription invoice becomes a `SubscriptionInvoice`; each month it pays for
becomes an `AllowanceGrant` and a lot in the ledger under `stripe:invoice:<id>:m<n>`. A
monthly plan's invoice grants its one month when paid; a yearly plan's grants month 1 when
paid and months 2–12 from the beat (`grant_due_allowances`), under the same keys, so the
order and repetition of Stripe's events, and of beat runs, never change what is granted.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import (
    AllowanceGrant,
    ChargeRefund,
    PlanSubscription,
    SubscriptionInvoice,
    SubscriptionPlan,
)
from billing.services.locks import lock_payment
from billing.services.purchase_lots import claw_back_share
from billing.services.subscriptions.shapes import (
    invoice_lines,
    invoice_paid_at,
    invoice_payment_intent,
    invoice_subscription_id,
    subscription_state,
)
from billing.services.subscriptions.sync import plan_for_price, sync_subscription
from tokens.exceptions import AccountClosed
from tokens.models import EntryKind, LotSource, TokenAccount
from tokens.services import carry_over_lot, end_lot, grant_tokens

logger = logging.getLogger(__name__)

Kind = SubscriptionInvoice.Kind
Grant = AllowanceGrant.Kind


def month_bounds(period_start: datetime, period_end: datetime, month: int):
    """(start, end) of allowance month `month` (1-based) of a billing period."""
    start = period_start + relativedelta(months=month - 1)
    return start, min(period_start + relativedelta(months=month), period_end)


def months_due(invoice: SubscriptionInvoice, now: datetime) -> int:
    """How many months of a period invoice have begun by `now` (month 1 always has)."""
    due = 1
    for month in range(2, invoice.plan.months + 1):
        start, _ = month_bounds(invoice.period_start, invoice.period_end, month)
        if start > now or start >= invoice.period_end:
            break
        due = month
    return due


@dataclass(frozen=True)
class _Paid:
    kind: str
    plan: SubscriptionPlan
    previous_plan: SubscriptionPlan | None
    period_start: datetime
    period_end: datetime
    changed_at: datetime | None = None


def _classify(invoice: dict, state, subscription: PlanSubscription) -> _Paid | None:
    """What a paid subscription invoice pays for, from its billing reason and lines."""
    reason = invoice.get("billing_reason") or ""
    lines = [line for line in invoice_lines(invoice) if line.period_start and line.period_end
             and line.period_end > line.period_start]

    def plan(line) -> SubscriptionPlan:
        return plan_for_price(line.price_id) or subscription.plan

    full = [line for line in lines if not line.proration and line.amount >= 0]
    if reason == "subscription_create" and not invoice.get("amount_paid") and state.trial_end \
            and full and full[0].period_end == state.trial_end:
        return _Paid(Kind.TRIAL, plan(full[0]), None, full[0].period_start, full[0].period_end)
    if reason in ("subscription_create", "subscription_cycle", "subscription_update") and full:
        line = full[-1]
        return _Paid(Kind.PERIOD, plan(line), None, line.period_start, line.period_end)
    if reason == "subscription_update":
        added = [line for line in lines if line.proration and line.amount > 0]
        removed = [line for line in lines if line.proration and line.amount < 0]
        if added:
            return _Paid(Kind.PRORATION, plan(added[-1]),
                         plan(removed[0]) if removed else None, added[-1].period_start,
                         added[-1].period_end, changed_at=added[-1].period_start)
    return None


def record_paid_invoice(*, invoice: dict, subscription: dict,
                        now: datetime | None = None) -> SubscriptionInvoice | None:
    """A subscription's invoice was paid: record it and grant what it pays for.

    `invoice` is Stripe's invoice (with `payments` expanded when available) and
    `subscription` its subscription's current state. Writes: the subscription row (through
    `sync_subscription`), one `SubscriptionInvoice`, and its grants — a trial's allowance
    (expiring when the trial ends); a period's due months (each expiring at its month's
    end, with capped rollover of the month before, and the previous period's lots ended);
    or an upgrade's prorated difference for the rest of the month — then any refund that
    arrived first. Locks: the payment (advisory), then the owner's token account, then rows.
    Guarantees: exactly once per invoice and month whatever the order or repetition of
    events; nothing for unpaid invoices, invoices of packs, duplicate subscriptions or
    invoices that pay for nothing we grant (a manual invoice). Returns the invoice row.
    """
    now = now or timezone.now()
    if invoice.get("status") != "paid" or not invoice_subscription_id(invoice):
        return None
    intent = invoice_payment_intent(invoice)
    with transaction.atomic():
        # The payment's lock before the account's (sync_subscription takes it), as a refund
        # of the same payment does: the two never wait on each other crosswise.
        lock_payment(intent)
        row = sync_subscription(subscription=subscription,
                                test_mode=invoice.get("id", "").startswith("in_local_"))
        if row is None or row.duplicate:
            return None
        paid = _classify(invoice, subscription_state(subscription), row)
        if paid is None:
            logger.info("Invoice %s (%s) grants nothing", invoice.get("id"),
                        invoice.get("billing_reason"))
            return None
        account = TokenAccount.objects.select_for_update(no_key=True).get(pk=row.token_account_id)
        record, created = SubscriptionInvoice.objects.get_or_create(
            stripe_invoice_id=invoice["id"],
            defaults={
                "subscription": row, "plan": paid.plan, "previous_plan": paid.previous_plan,
                "kind": paid.kind, "stripe_payment_intent_id": intent,
                "number": invoice.get("number") or "",
                "billing_reason": invoice.get("billing_reason") or "",
                "period_start": paid.period_start, "period_end": paid.period_end,
                "changed_at": paid.changed_at, "amount_paid": invoice.get("amount_paid") or 0,
                "currency": invoice.get("currency") or paid.plan.currency,
                "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
                "invoice_pdf": invoice.get("invoice_pdf") or "",
                "paid_at": invoice_paid_at(invoice) or now,
            })
        if not created:
            return record
        try:
            if paid.kind == Kind.TRIAL:
                _grant(account, record, month=1, kind=Grant.TRIAL,
                       tokens=paid.plan.trial_tokens, starts_at=paid.period_start,
                       expires_at=paid.period_end, memo=f"{paid.plan.name} trial")
            elif paid.kind == Kind.PERIOD:
                for month in range(1, months_due(record, now) + 1):
                    _grant_month(account, record, month)
            else:
                _grant_proration(account, record)
        except AccountClosed:
            # A redelivery could never credit it: recorded, logged for a refund by hand.
            logger.error("Invoice %s paid for closed token account %s: nothing granted; "
                         "refund it", record.stripe_invoice_id, account.pk)
            return record
        apply_subscription_refunds(record=record)
    return record


def _grant(account, record: SubscriptionInvoice, *, month: int, kind: str, tokens: int,
           starts_at: datetime, expires_at: datetime, memo: str) -> AllowanceGrant | None:
    if tokens <= 0 or AllowanceGrant.objects.filter(invoice=record, month=month,
                                                    kind=kind).exists():
        return None
    entry = grant_tokens(
        account=account, amount=tokens, kind=EntryKind.SUBSCRIPTION,
        source=LotSource.GRANTED if kind == Grant.TRIAL else LotSource.PAID,
        idempotency_key=f"stripe:invoice:{record.stripe_invoice_id}:m{month}",
        expires_at=expires_at, reference=record.stripe_invoice_id, memo=memo)
    return AllowanceGrant.objects.create(
        invoice=record, month=month, kind=kind, tokens=tokens, starts_at=starts_at,
        expires_at=expires_at, lot_entry=entry)


def _grant_month(account, record: SubscriptionInvoice, month: int) -> None:
    """Month `month` of a period invoice (caller holds the account lock): the previous
    allowance month's unused tokens carried over (capped), the rest of the previous
    period's lots ended, then this month's allowance."""
    if AllowanceGrant.objects.filter(invoice=record, month=month, kind=Grant.ALLOWANCE).exists():
        return
    subscription = record.subscription
    plan = record.plan
    if month > 1 and subscription.plan.interval == plan.interval:
        plan = subscription.plan  # upgraded during the year: later months at the new size
    starts_at, expires_at = month_bounds(record.period_start, record.period_end, month)
    earlier = AllowanceGrant.objects.filter(
        invoice__subscription=subscription, expires_at__gte=starts_at, starts_at__lte=starts_at,
    ).exclude(invoice=record, month__gte=month).select_related("lot_entry")
    previous = earlier.filter(kind=Grant.ALLOWANCE).order_by("-starts_at").first()
    if previous is not None and plan.rollover_cap:
        carried = carry_over_lot(
            lot_entry=previous.lot_entry, cap=plan.rollover_cap, kind=EntryKind.SUBSCRIPTION,
            expires_at=expires_at, reference=record.stripe_invoice_id,
            idempotency_key=f"stripe:invoice:{record.stripe_invoice_id}:m{month}:rollover",
            memo=f"Carried over from {previous.starts_at:%B %Y}")
        if carried is not None:
            AllowanceGrant.objects.create(
                invoice=record, month=month, kind=Grant.ROLLOVER, tokens=carried.amount,
                starts_at=starts_at, expires_at=expires_at, lot_entry=carried)
    for grant in earlier.filter(expires_at__gt=starts_at):
        # A period that restarted (an upgrade to yearly, the local test mode's "next
        # period") ends what the old one granted: a month is never paid for twice.
        end_lot(lot_entry=grant.lot_entry, memo="Ended by a new billing period",
                idempotency_key=f"stripe:invoice:{record.stripe_invoice_id}:ends:{grant.pk}")
    _grant(account, record, month=month, kind=Grant.ALLOWANCE, tokens=plan.tokens_per_month,
           starts_at=starts_at, expires_at=expires_at,
           memo=f"{plan.name} allowance" + (f", month {month}" if record.plan.months > 1 else ""))


def _anchor(record: SubscriptionInvoice) -> SubscriptionInvoice | None:
    return SubscriptionInvoice.objects.filter(
        subscription=record.subscription, kind=Kind.PERIOD,
        period_start__lte=record.changed_at, period_end__gt=record.changed_at,
    ).order_by("-period_start").first()


def _grant_proration(account, record: SubscriptionInvoice) -> None:
    """An upgrade mid-period: the bigger allowance's difference for the rest of the month
    the change fell in, expiring with that month."""
    anchor = _anchor(record)
    start, end = (record.period_start, record.period_end) if anchor is None else (
        anchor.period_start, anchor.period_end)
    month = 1
    while month < 12 and month_bounds(start, end, month)[1] <= record.changed_at:
        month += 1
    month_start, month_end = month_bounds(start, end, month)
    old = record.previous_plan.tokens_per_month if record.previous_plan else 0
    difference = record.plan.tokens_per_month - old
    left = (month_end - record.changed_at).total_seconds()
    whole = (month_end - month_start).total_seconds()
    tokens = int(difference * left // whole) if difference > 0 and whole > 0 else 0
    _grant(account, record, month=month, kind=Grant.PRORATION, tokens=tokens,
           starts_at=record.changed_at, expires_at=month_end,
           memo=f"Upgrade to {record.plan.name} for the rest of the month")


def grant_due_allowances(*, now: datetime | None = None) -> int:
    """Beat: the months of yearly plans that have begun (months 2–12), under the same keys
    as the invoice's month 1. Only the latest period of a subscription that is not ended,
    not a duplicate and whose invoice was not refunded. Each subscription in its own
    transaction, locking its token account first. Returns the grants written."""
    now = now or timezone.now()
    later = SubscriptionInvoice.objects.filter(
        subscription=OuterRef("subscription"), kind=Kind.PERIOD,
        period_start__gt=OuterRef("period_start"))
    due = SubscriptionInvoice.objects.filter(
        kind=Kind.PERIOD, plan__interval=SubscriptionPlan.Interval.YEAR, period_start__lte=now,
        period_end__gt=now, amount_refunded=0, subscription__duplicate=False,
        subscription__status__in=PlanSubscription.LIVE,
        subscription__token_account__closed_at__isnull=True,
    ).exclude(Exists(later)).select_related("plan", "subscription__plan")
    written = 0
    for record in due:
        with transaction.atomic():
            account = TokenAccount.objects.select_for_update(no_key=True).get(
                pk=record.subscription.token_account_id)
            for month in range(2, months_due(record, now) + 1):
                before = AllowanceGrant.objects.filter(invoice=record).count()
                _grant_month(account, record, month)
                written += AllowanceGrant.objects.filter(invoice=record).count() - before
    return written


def apply_subscription_refunds(*, record: SubscriptionInvoice) -> None:
    """Claw back what Stripe refunded of a subscription invoice (caller holds the payment
    and account locks): each grant the invoice paid for gives back the refunded share of its
    tokens, at most what is left of its lot; what was already spent is flagged for review."""
    if not record.stripe_payment_intent_id:
        return
    for refund in ChargeRefund.objects.select_for_update().filter(
            stripe_payment_intent_id=record.stripe_payment_intent_id):
        if refund.amount_captured <= 0 or refund.amount_refunded <= refund.applied_amount:
            continue
        for grant in record.grants.select_for_update(of=("self",)).exclude(
                kind=Grant.ROLLOVER).select_related("lot_entry"):
            back = claw_back_share(
                lot_entry=grant.lot_entry, tokens=grant.tokens, taken=grant.tokens_clawed_back,
                short=grant.clawback_shortfall, refund=refund,
                key=f"stripe:refund:{refund.stripe_charge_id}:{grant.pk}")
            if back.taken or back.short:
                grant.tokens_clawed_back += back.taken
                grant.clawback_shortfall += back.short
                grant.needs_review = grant.clawback_shortfall > 0
                grant.save(update_fields=["tokens_clawed_back", "clawback_shortfall",
                                          "needs_review"])
        record.amount_refunded = min(refund.amount_refunded, record.amount_paid)
        record.save(update_fields=["amount_refunded"])
        refund.applied_amount = refund.amount_refunded
        refund.save(update_fields=["applied_amount", "updated_at"])
