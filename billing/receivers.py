"""dj-stripe webhook receivers: thin adapters from verified Stripe events to billing services.

They run inside dj-stripe's transaction, after dj-stripe has synced the event's object. A
raise rolls the event back and makes Stripe redeliver, so only real failures (database,
Stripe unreachable) raise; a payload that can never be credited is logged by the service.
"""

import stripe
from django.db import transaction
from django.dispatch import receiver
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Subscription

from accounts.signals import user_account_closed
from accounts.teams.services import record_team_purchase
from billing import services, stripe_api, tasks
from billing.models import AutoTopUp, PlanSubscription, Purchase
from billing.services.subscriptions import allowances, dunning, sync
from billing.services.subscriptions.shapes import invoice_subscription_id
from billing.signals import purchase_paid
from tokens.signals import available_fell_below_threshold


@djstripe_receiver(["checkout.session.completed", "checkout.session.async_payment_succeeded"])
def on_checkout_paid(sender, event, **kwargs):
    session = event.data.get("object") or {}
    if session.get("mode", "payment") == "payment":
        services.fulfill_checkout(session=session)
    elif session.get("mode") == "subscription":
        sync.complete_subscription_checkout(session=session)
    elif session.get("mode") == "setup" and \
            (session.get("metadata") or {}).get("kind") == "auto_top_up_card":
        # Stripe is asked for the card after the event is stored, not inside its transaction.
        transaction.on_commit(lambda: tasks.save_card_from_setup_task.delay(session))


@djstripe_receiver(["checkout.session.expired", "checkout.session.async_payment_failed"])
def on_checkout_unpaid(sender, event, **kwargs):
    session = event.data.get("object") or {}
    if session.get("id"):
        services.expire_checkout(session_id=session["id"])


@djstripe_receiver("charge.refunded")
def on_charge_refunded(sender, event, **kwargs):
    services.refund_purchase(charge=event.data.get("object") or {})


@djstripe_receiver("charge.succeeded")
def on_charge_succeeded(sender, event, **kwargs):
    services.record_charge_receipt(charge=event.data.get("object") or {})


@djstripe_receiver("promotion_code.updated")
def on_promotion_code_updated(sender, event, **kwargs):
    services.record_stripe_promotion_code(promotion_code=event.data.get("object") or {})


@djstripe_receiver("payment_intent.succeeded")
def on_payment_intent_succeeded(sender, event, **kwargs):
    services.fulfill_payment_intent(intent=event.data.get("object") or {})


@djstripe_receiver("payment_intent.payment_failed")
def on_payment_intent_failed(sender, event, **kwargs):
    services.fail_payment_intent(intent=event.data.get("object") or {})


def _current_subscription(subscription_id: str) -> dict:
    """Stripe's current state of a subscription, never an event's snapshot, so events applied
    in any order leave the latest state: dj-stripe's copy when its handler has just fetched
    it, else fetched now (before any of our locks is taken)."""
    synced = Subscription.objects.filter(id=subscription_id).values_list(
        "stripe_data", flat=True).first()
    if synced:
        return synced
    return stripe.Subscription.retrieve(subscription_id, api_key=stripe_api.api_key()).to_dict()


@djstripe_receiver([
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "customer.subscription.paused",
    "customer.subscription.resumed", "customer.subscription.trial_will_end",
])
def on_subscription_changed(sender, event, **kwargs):
    subscription_id = (event.data.get("object") or {}).get("id")
    if subscription_id:
        sync.sync_subscription(subscription=_current_subscription(subscription_id))


def _invoice_and_subscription(event) -> tuple[dict, dict] | None:
    """The event's invoice, fetched afresh with its payments (to know the PaymentIntent a
    refund will name), and its subscription's current state; None for other invoices."""
    invoice = event.data.get("object") or {}
    subscription_id = invoice_subscription_id(invoice)
    if not invoice.get("id") or not subscription_id:
        return None
    key = stripe_api.api_key()
    fresh = stripe.Invoice.retrieve(invoice["id"], api_key=key, expand=["payments"])
    subscription = stripe.Subscription.retrieve(subscription_id, api_key=key)
    return fresh.to_dict(), subscription.to_dict()


@djstripe_receiver("invoice.paid")
def on_invoice_paid(sender, event, **kwargs):
    found = _invoice_and_subscription(event)
    if found is not None:
        allowances.record_paid_invoice(invoice=found[0], subscription=found[1])
    else:
        services.record_purchase_invoice(invoice=event.data.get("object") or {})


@djstripe_receiver("invoice.finalized")
def on_invoice_finalized(sender, event, **kwargs):
    invoice = event.data.get("object") or {}
    if not invoice_subscription_id(invoice):
        services.record_purchase_invoice(invoice=invoice)


@djstripe_receiver("invoice.payment_failed")
def on_invoice_payment_failed(sender, event, **kwargs):
    found = _invoice_and_subscription(event)
    if found is not None:
        dunning.record_payment_failed(invoice=found[0], subscription=found[1])


@receiver(user_account_closed, dispatch_uid="billing.end_plan_of_closed_account")
def on_user_account_closed(sender, user, token_account_id, **kwargs):
    if token_account_id and PlanSubscription.objects.filter(
            token_account_id=token_account_id, status__in=PlanSubscription.LIVE).exists():
        tasks.end_subscriptions_of_closed_account_task.delay(token_account_id)


@receiver(available_fell_below_threshold, dispatch_uid="billing.auto_top_up")
def on_low_balance(sender, account_id, **kwargs):
    # Only accounts whose owner turned automatic top-up on get a task.
    if AutoTopUp.objects.filter(user__token_account_id=account_id, enabled=True).exists():
        tasks.start_auto_top_up_task.delay(account_id)


@receiver(purchase_paid, dispatch_uid="billing.audit_team_purchase")
def audit_team_purchase(sender, purchase: Purchase, **kwargs):
    """A pack bought for a team's pool goes into the team's audit log."""
    record_team_purchase(
        token_account_id=purchase.token_account_id, buyer=purchase.user,
        what=f"{purchase.pack.name} pack ×{purchase.quantity}",
        tokens=purchase.tokens + purchase.bonus_tokens)
