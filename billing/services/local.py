"""The local test checkout (development without Stripe keys): nothing is charged."""

from billing import selectors
from billing.models import Purchase
from billing.services.fulfilment import fulfill_checkout


class LocalCheckoutDisabled(Exception):
    """The local test checkout only exists with DEBUG on and no Stripe keys."""


def complete_local_checkout(*, purchase: Purchase) -> Purchase | None:
    """Complete an open test-mode purchase as if Stripe had reported it paid.

    Writes: what `fulfill_checkout` writes — the same path a real webhook takes — fed with
    a Checkout Session shaped like Stripe's. Guarantees: refuses outside development and for
    purchases not opened in test mode; repeating it credits nothing more.
    """
    if not selectors.is_local_checkout_enabled() or not purchase.test_mode:
        raise LocalCheckoutDisabled
    session = {
        "id": purchase.stripe_checkout_session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_subtotal": purchase.amount_subtotal,
        "amount_total": purchase.amount_total,
        "currency": purchase.currency,
        "total_details": {"amount_discount": purchase.discount_cents},
        "client_reference_id": str(purchase.public_id),
        "payment_intent": f"pi_test_local_{purchase.public_id.hex}",
        "metadata": {
            "pack": purchase.pack.slug,
            "token_account": str(purchase.token_account_id),
            "user": str(purchase.user_id),
            "purchase": str(purchase.public_id),
        },
    }
    return fulfill_checkout(session=session)
