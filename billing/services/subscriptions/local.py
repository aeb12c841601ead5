"""The local test mode's subscriptions (development without Stripe keys): nothing is charged.

Each action builds the Subscription and Invoice objects Stripe would send and hands them to
the same services the webhook receivers call, so subscribing, renewing, a failed renewal,
its recovery, the final failure and canceling run the real paths. "Next period" stands in
for time passing: the new period starts now.
"""

import secrets
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import selectors
from billing.models import PlanSubscription, SubscriptionCheckout
from billing.services.subscriptions.sync import LOCAL_PRICE_PREFIX, sync_subscription


class LocalActionRefused(Exception):
    """Not available: outside the local test mode, or not in this subscription's state."""


def _check(subscription: PlanSubscription | None = None) -> None:
    if not selectors.is_local_checkout_enabled() or (
            subscription is not None and not subscription.test_mode):
        raise LocalActionRefused(_("The test mode is only available in local development."))


def _subscription(row: PlanSubscription, **changes) -> dict:
    """Stripe's Subscription object for a test-mode row, with `changes` applied."""
    fields = {
        "status": row.status, "plan": row.plan, "start": row.current_period_start,
        "end": row.current_period_end, "trial_end": row.trial_end,
        "cancel_at_period_end": row.cancel_at_period_end, "reason": row.cancel_reason,
        "started": row.started_at or row.current_period_start, **changes,
    }
    return _subscription_object(row.stripe_subscription_id, row.token_account_id,
                                row.user_id, **fields)


def _subscription_object(subscription_id: str, account_id: int, user_id, *, status, plan,
                         start, end, trial_end, started=None, cancel_at_period_end=False,
                         reason="") -> dict:
    def stamp(value):
        return int(value.timestamp()) if value else None

    ended = stamp(timezone.now()) if status == "canceled" else None
    return {
        "id": subscription_id, "object": "subscription", "customer": f"cus_local_{account_id}",
        "status": status, "trial_end": stamp(trial_end),
        "cancel_at_period_end": cancel_at_period_end,
        "cancellation_details": {"comment": reason or None},
        "canceled_at": ended, "ended_at": ended, "start_date": stamp(started or start),
        "metadata": {"plan": plan.slug, "token_account": str(account_id),
                     "user": str(user_id or "")},
        "items": {"data": [{"price": {"id": f"{LOCAL_PRICE_PREFIX}{plan.slug}",
                                      "metadata": {"plan": plan.slug}},
                            "current_period_start": stamp(start),
                            "current_period_end": stamp(end)}]},
    }


def _invoice(subscription: dict, *, plan, start, end, reason: str, amount: int,
             status: str = "paid", invoice_id: str = "") -> dict:
    invoice_id = invoice_id or f"in_local_{secrets.token_hex(10)}"
    return {
        "id": invoice_id, "object": "invoice", "status": status, "billing_reason": reason,
        "amount_paid": amount if status == "paid" else 0, "amount_due": amount,
        "currency": plan.currency, "number": f"TEST-{invoice_id[-6:].upper()}",
        "parent": {"subscription_details": {"subscription": subscription["id"]}},
        "status_transitions": {"paid_at": int(timezone.now().timestamp())},
        "lines": {"data": [{
            "amount": amount, "pricing": {"price_details": {
                "price": f"{LOCAL_PRICE_PREFIX}{plan.slug}"}},
            "parent": {"subscription_item_details": {"proration": False}},
            "period": {"start": int(start.timestamp()), "end": int(end.timestamp())}}]},
    }


def _paid(invoice: dict, subscription: dict):
    from billing.services.subscriptions.allowances import record_paid_invoice

    return record_paid_invoice(invoice=invoice, subscription=subscription)


def complete_local_subscription(*, checkout: SubscriptionCheckout,
                                now: datetime | None = None) -> PlanSubscription | None:
    """Pay an open test-mode subscription checkout: a subscription starts (with the plan's
    trial for an account that never had one) and its first invoice is paid. Repeating it
    changes nothing."""
    _check()
    if not checkout.stripe_checkout_session_id.startswith("cs_test_local_"):
        raise LocalActionRefused(_("That is not a test checkout."))
    now = now or timezone.now()
    plan = checkout.plan
    trial = plan.trial_days and not PlanSubscription.objects.filter(
        token_account_id=checkout.token_account_id).exists()
    amount = 0 if trial else plan.price_cents
    if not SubscriptionCheckout.objects.filter(
            pk=checkout.pk, status=SubscriptionCheckout.Status.OPEN,
    ).update(status=SubscriptionCheckout.Status.COMPLETE, completed_at=now,
             amount_subtotal=amount, amount_total=amount, currency=plan.currency):
        return None
    end = now + (relativedelta(days=plan.trial_days) if trial else relativedelta(
        months=plan.months))
    subscription = _subscription_object(
        f"sub_local_{secrets.token_hex(10)}", checkout.token_account_id, checkout.user_id,
        status="trialing" if trial else "active", plan=plan, start=now, end=end,
        trial_end=end if trial else None)
    _paid(_invoice(subscription, plan=plan, start=now, end=end, reason="subscription_create",
                   amount=amount), subscription)
    return PlanSubscription.objects.filter(
        stripe_subscription_id=subscription["id"]).first()


def advance_local_period(*, subscription: PlanSubscription,
                         now: datetime | None = None) -> PlanSubscription:
    """The period ends now: a plan canceled at period end ends; otherwise the renewal
    invoice (or the trial's conversion) is paid and the next period starts."""
    _check(subscription)
    if subscription.status not in ("trialing", "active"):
        raise LocalActionRefused(_("Only a trial or an active plan renews."))
    now = now or timezone.now()
    if subscription.cancel_at_period_end:
        return sync_subscription(subscription=_subscription(subscription, status="canceled"))
    plan = subscription.plan
    end = now + relativedelta(months=plan.months)
    state = _subscription(subscription, status="active", start=now, end=end)
    _paid(_invoice(state, plan=plan, start=now, end=end, reason="subscription_cycle",
                   amount=plan.price_cents), state)
    subscription.refresh_from_db()
    return subscription


def fail_local_renewal(*, subscription: PlanSubscription,
                       now: datetime | None = None) -> PlanSubscription:
    """The renewal's payment fails: the subscription is past due, no allowance is granted,
    and the owner is emailed (what `invoice.payment_failed` does)."""
    from billing.services.subscriptions.dunning import record_payment_failed

    _check(subscription)
    if subscription.status not in ("trialing", "active"):
        raise LocalActionRefused(_("Only a trial or an active plan renews."))
    now = now or timezone.now()
    plan = subscription.plan
    end = now + relativedelta(months=plan.months)
    state = _subscription(subscription, status="past_due", start=now, end=end)
    return record_payment_failed(invoice=_invoice(
        state, plan=plan, start=now, end=end, reason="subscription_cycle",
        amount=plan.price_cents, status="open"), subscription=state)


def recover_local_renewal(*, subscription: PlanSubscription) -> PlanSubscription:
    """A retry (or a new card) pays the failed renewal: the period's allowance is granted."""
    _check(subscription)
    if subscription.status != "past_due" or not subscription.last_failed_invoice_id:
        raise LocalActionRefused(_("Only a past-due plan can recover."))
    state = _subscription(subscription, status="active")
    _paid(_invoice(state, plan=subscription.plan, start=subscription.current_period_start,
                   end=subscription.current_period_end, reason="subscription_cycle",
                   amount=subscription.plan.price_cents,
                   invoice_id=subscription.last_failed_invoice_id), state)
    subscription.refresh_from_db()
    return subscription


def end_local_after_failures(*, subscription: PlanSubscription) -> PlanSubscription:
    """Stripe gave up retrying: the subscription is canceled and its owner told."""
    _check(subscription)
    if subscription.status != "past_due":
        raise LocalActionRefused(
            _("Only a past-due plan is canceled after failed retries."))
    return sync_subscription(subscription=_subscription(
        subscription, status="canceled", reason="Payment failed after every retry"))


def set_local_cancel(*, subscription: PlanSubscription, cancel: bool,
                     reason: str = "") -> PlanSubscription:
    """Cancel at period end, or resume, in the test mode."""
    _check(subscription)
    return sync_subscription(subscription=_subscription(
        subscription, cancel_at_period_end=cancel, reason=reason if cancel else ""))
