"""Keeping our `PlanSubscription` rows in step with Stripe's subscriptions.

Every path that learns a subscription's state (its webhooks, a paid or failed invoice, the
portal, our own cancel and resume, the local test mode) ends in `sync_subscription`, so one
place decides which subscription of an account is the live one.
"""

import logging

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.languages import in_language_of
from accounts.teams.models import Organization
from billing import stripe_api
from billing.models import (
    BillingCustomer,
    PlanSubscription,
    SubscriptionCheckout,
    SubscriptionPlan,
)
from billing.services.promotions import redeemed_promotion
from billing.services.subscriptions.shapes import invoice_payment_intent, subscription_state
from billing.subscription_selectors import BILLING_ALERTS
from tokens.models import TokenAccount

logger = logging.getLogger(__name__)

# The local test mode's Stripe ids: a plan's price is `price_local_<slug>`.
LOCAL_PRICE_PREFIX = "price_local_"


def plan_for_price(price_id: str, metadata: dict | None = None) -> SubscriptionPlan | None:
    """The plan a Stripe Price sells: by the price's `plan` metadata (set by the catalog,
    and kept when a new amount makes a new Price), its id, or the local test mode's id."""
    slug = (metadata or {}).get("plan")
    if slug:
        return SubscriptionPlan.objects.filter(slug=slug).first()
    if not price_id:
        return None
    plan = SubscriptionPlan.objects.filter(stripe_price_id=price_id).first()
    if plan is None and price_id.startswith(LOCAL_PRICE_PREFIX):
        slug = price_id.removeprefix(LOCAL_PRICE_PREFIX)
        plan = SubscriptionPlan.objects.filter(slug=slug).first()
    return plan


def _owner(state) -> tuple[int, object] | None:
    """(token account id, user) a subscription's tokens go to: the metadata our checkout set,
    else the account its customer pays for. A metadata account that is not the customer's
    own is refused (it would credit someone else)."""
    linked = BillingCustomer.objects.filter(stripe_customer_id=state.customer_id).values_list(
        "token_account_id", flat=True).first()
    try:
        account_id = int(state.metadata.get("token_account") or linked or "")
    except ValueError:
        return None
    if linked is not None and linked != account_id:
        return None
    if not TokenAccount.objects.filter(pk=account_id).exists():
        return None
    users = get_user_model().objects
    if Organization.objects.filter(token_account_id=account_id).exists():
        # A team's pool: the user is whichever owner or admin subscribed (who may leave).
        return account_id, users.filter(pk=state.metadata.get("user") or 0).first()
    user = users.filter(pk=state.metadata.get("user") or 0, token_account_id=account_id).first() \
        or users.filter(token_account_id=account_id).first()
    return account_id, user


def _fields(state, plan: SubscriptionPlan) -> dict:
    return {
        "plan": plan,
        "status": state.status,
        "stripe_customer_id": state.customer_id,
        "current_period_start": state.current_period_start,
        "current_period_end": state.current_period_end,
        "trial_end": state.trial_end,
        "cancel_at_period_end": state.cancel_at_period_end,
        "cancel_reason": state.cancel_reason,
        "canceled_at": state.canceled_at,
        "started_at": state.started_at,
        "ended_at": state.ended_at,
    }


def sync_subscription(*, subscription: dict, test_mode: bool = False) -> PlanSubscription | None:
    """Write Stripe's current state of one subscription onto our row (created on first sight).

    Locks the owner's token account row first, then the subscription row, so two deliveries
    about one account are applied one after the other. Guarantees: an account has at most
    one live subscription (also a partial unique constraint); a second one that Stripe
    started anyway is marked `duplicate` and, after the commit, canceled and refunded at
    Stripe (`settle_duplicate_subscription`) with its owner told; a live subscription
    expires the account's other open subscription checkouts; an ended one emails its owner
    once. An unknown plan or owner is logged and changes nothing (returns None).
    """
    state = subscription_state(subscription)
    items = (subscription.get("items") or {}).get("data") or [{}]
    plan = plan_for_price(state.price_id, (items[0].get("price") or {}).get("metadata"))
    owner = _owner(state)
    if not state.id or plan is None or owner is None:
        logger.error("Subscription %s names an unknown plan (%s) or owner (%s): not recorded",
                     state.id, state.price_id, state.customer_id)
        return None
    account_id, user = owner
    live = state.status in PlanSubscription.LIVE
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).filter(pk=account_id).first()
        row = PlanSubscription.objects.select_for_update().filter(
            stripe_subscription_id=state.id).first()
        other_live = PlanSubscription.objects.filter(
            token_account_id=account_id, status__in=PlanSubscription.LIVE, duplicate=False,
        ).exclude(stripe_subscription_id=state.id).exists()
        if row is None:
            row = PlanSubscription.objects.create(
                token_account_id=account_id, user=user, stripe_subscription_id=state.id,
                duplicate=live and other_live, test_mode=test_mode, **_fields(state, plan))
        else:
            for name, value in _fields(state, plan).items():
                setattr(row, name, value)
            row.duplicate = row.duplicate or (live and other_live)
            row.save()
        _after_commit(row)
    return row


def _after_commit(row: PlanSubscription) -> None:
    from billing import tasks

    if row.duplicate and row.status in PlanSubscription.LIVE and row.duplicate_settled_at is None:
        transaction.on_commit(lambda: tasks.settle_duplicate_subscription_task.delay(row.pk))
    elif row.is_live:
        transaction.on_commit(
            lambda: tasks.expire_subscription_checkouts_task.delay(row.token_account_id))
    if row.status == PlanSubscription.Status.CANCELED and not row.duplicate \
            and row.ended_emailed_at is None:
        transaction.on_commit(lambda: tasks.send_subscription_email_task.delay(row.pk, "ended"))


def complete_subscription_checkout(*, session: dict) -> None:
    """A subscription Checkout Session was completed: mark it complete with what the first
    payment was and the promotion code it redeemed (the staff's redemption figures count
    these rows; the subscription itself is recorded from its own events). The first delivery
    writes; a repeat finds it complete and changes nothing. The account's other open
    sessions are expired after the commit."""
    from billing import tasks

    found = SubscriptionCheckout.objects.filter(stripe_checkout_session_id=session.get("id") or "")
    checkout = found.first()
    if checkout is None:
        return
    found.exclude(status=SubscriptionCheckout.Status.COMPLETE).update(
        status=SubscriptionCheckout.Status.COMPLETE, completed_at=timezone.now(),
        promotion_code=redeemed_promotion(session),
        amount_subtotal=session.get("amount_subtotal") or 0,
        amount_total=session.get("amount_total") or 0,
        currency=session.get("currency") or checkout.plan.currency)
    transaction.on_commit(
        lambda: tasks.expire_subscription_checkouts_task.delay(checkout.token_account_id))


def expire_subscription_checkouts(*, account_id: int) -> int:
    """Expire the account's open subscription Checkout Sessions once it has a live
    subscription, so no other tab can pay for a second one. Calls Stripe (no transaction is
    held); a session Stripe will not expire (just completed) is left for its own events.
    Returns how many were expired."""
    if not PlanSubscription.objects.filter(token_account_id=account_id, duplicate=False,
                                           status__in=PlanSubscription.LIVE).exists():
        return 0
    expired = 0
    for checkout in SubscriptionCheckout.objects.filter(
            token_account_id=account_id, status=SubscriptionCheckout.Status.OPEN):
        if not checkout.stripe_checkout_session_id.startswith("cs_test_local_"):
            try:
                stripe.checkout.Session.expire(checkout.stripe_checkout_session_id,
                                               api_key=stripe_api.api_key())
            except stripe.InvalidRequestError:
                logger.info("Subscription checkout %s could not be expired (already closed)",
                            checkout.stripe_checkout_session_id)
                continue
        expired += SubscriptionCheckout.objects.filter(
            pk=checkout.pk, status=SubscriptionCheckout.Status.OPEN,
        ).update(status=SubscriptionCheckout.Status.EXPIRED)
    return expired


def settle_duplicate_subscription(*, subscription_id: int) -> bool:
    """Cancel a duplicate subscription at Stripe now and refund what its first invoice took,
    then tell its owner. Calls Stripe with idempotency keys outside any transaction, then
    claims `duplicate_settled_at` by conditional update (the email is sent once).
    Returns whether this call settled it."""
    row = PlanSubscription.objects.filter(pk=subscription_id, duplicate=True).first()
    if row is None or row.duplicate_settled_at is not None:
        return False
    if not row.test_mode:
        key = stripe_api.api_key()
        canceled = stripe.Subscription.cancel(
            row.stripe_subscription_id, api_key=key,
            idempotency_key=f"myba-duplicate-cancel-{row.public_id}")
        invoice_id = canceled.get("latest_invoice")
        if invoice_id:
            invoice = stripe.Invoice.retrieve(invoice_id if isinstance(invoice_id, str)
                                              else invoice_id["id"], api_key=key,
                                              expand=["payments"])
            intent = invoice_payment_intent(invoice)
            if intent and invoice.get("amount_paid"):
                stripe.Refund.create(payment_intent=intent, api_key=key,
                                     idempotency_key=f"myba-duplicate-refund-{row.public_id}",
                                     metadata={"reason": "duplicate_subscription"})
    claimed = PlanSubscription.objects.filter(pk=row.pk, duplicate_settled_at__isnull=True).update(
        duplicate_settled_at=timezone.now(), status=PlanSubscription.Status.CANCELED,
        cancel_reason="A second subscription: canceled and refunded automatically")
    if claimed:
        send_subscription_email(subscription_id=row.pk, reason="duplicate")
    return bool(claimed)


def end_subscriptions_of_closed_account(*, account_id: int) -> int:
    """The owner deleted their account: their plan is canceled at Stripe now (no refund; the
    closed account can receive no more tokens) and the answer written by
    `sync_subscription`. Calls Stripe with idempotency keys outside any transaction.
    Returns how many subscriptions were ended."""
    ended = 0
    for row in PlanSubscription.objects.select_related("plan").filter(
            token_account_id=account_id, status__in=PlanSubscription.LIVE):
        if row.test_mode:
            PlanSubscription.objects.filter(pk=row.pk).update(
                status=PlanSubscription.Status.CANCELED, canceled_at=timezone.now(),
                cancel_reason="Account deleted")
            BILLING_ALERTS.renew()  # a plain update sends no signal
        else:
            answer = stripe.Subscription.cancel(
                row.stripe_subscription_id, api_key=stripe_api.api_key(),
                idempotency_key=f"myba-account-closed-cancel-{row.public_id}")
            sync_subscription(subscription=answer.to_dict())
        ended += 1
    return ended


EMAILS = {
    "payment_failed": gettext_lazy("We could not renew your %(site)s plan"),
    "ended": gettext_lazy("Your %(site)s plan has ended"),
    "duplicate": gettext_lazy("You already had a %(site)s plan: we refunded the second one"),
}


def send_subscription_email(*, subscription_id: int, reason: str) -> bool:
    """Tell the subscriber about their plan: a failed renewal (with a link to update the
    card), its end, or a refunded duplicate. "ended" is claimed by a conditional update of
    `ended_emailed_at`; the failed renewal is claimed per invoice by `record_payment_failed`.
    Runs in a Celery task, never inside a transaction. Returns whether an email was sent."""
    row = PlanSubscription.objects.select_related("user", "plan").filter(
        pk=subscription_id).first()
    if row is None:
        return False
    if reason == "ended":
        claimed = PlanSubscription.objects.filter(
            Q(ended_emailed_at__isnull=True), pk=row.pk).update(ended_emailed_at=timezone.now())
        if not claimed:
            return False
    user = row.user
    if user is None or not user.is_active or not user.email:
        return False
    context = {"subscription": row, "reason": reason, "site_name": settings.SITE_NAME,
               "billing_url": settings.SITE_URL + reverse("billing:history"),
               "portal_url": settings.SITE_URL + reverse("billing:portal")}
    with in_language_of(user):
        message = EmailMultiAlternatives(
            subject=str(EMAILS[reason]) % {"site": settings.SITE_NAME},
            body=render_to_string("billing/email/subscription.txt", context), to=[user.email])
        message.attach_alternative(
            render_to_string("billing/email/subscription.html", context), "text/html")
    try:
        message.send()
    except OSError:
        if reason == "ended":
            PlanSubscription.objects.filter(pk=row.pk).update(ended_emailed_at=None)
        raise
    return True
