"""dj-stripe webhook receivers: thin adapters from verified Stripe events to billing services.

They run inside dj-stripe's transaction, after dj-stripe has synced the event's object. A
raise rolls the event back and makes Stripe redeliver, so only real failures (database,
Stripe unreachable) raise; a payload that can never be credited is logged by the service.
"""

from django.db import transaction
from django.dispatch import receiver
from djstripe.event_handlers import djstripe_receiver

from billing import services, tasks
from billing.models import AutoTopUp
from tokens.signals import available_fell_below_threshold


@djstripe_receiver(["checkout.session.completed", "checkout.session.async_payment_succeeded"])
def on_checkout_paid(sender, event, **kwargs):
    session = event.data.get("object") or {}
    if session.get("mode", "payment") == "payment":
        services.fulfill_checkout(session=session)
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


@receiver(available_fell_below_threshold, dispatch_uid="billing.auto_top_up")
def on_low_balance(sender, account_id, **kwargs):
    # Only accounts whose owner turned automatic top-up on get a task.
    if AutoTopUp.objects.filter(user__token_account_id=account_id, enabled=True).exists():
        tasks.start_auto_top_up_task.delay(account_id)
