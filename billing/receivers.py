"""dj-stripe webhook receivers: thin adapters from verified Stripe events to billing services.

They run inside dj-stripe's transaction, after dj-stripe has synced the event's object. A
raise rolls the event back and makes Stripe redeliver, so only real failures (database,
Stripe unreachable) raise; a payload that can never be credited is logged by the service.
"""

from djstripe.event_handlers import djstripe_receiver

from billing import services


@djstripe_receiver(["checkout.session.completed", "checkout.session.async_payment_succeeded"])
def on_checkout_paid(sender, event, **kwargs):
    session = event.data.get("object") or {}
    if session.get("mode", "payment") == "payment":
        services.fulfill_checkout(session=session)


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
