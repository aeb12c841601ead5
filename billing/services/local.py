"""The local test checkout (development without Stripe keys): nothing is charged."""

from django.utils import timezone
from django.utils.translation import gettext as _

from billing import promotion_selectors, selectors
from billing.models import Purchase
from billing.services.fulfilment import fulfill_checkout
from billing.services.promotions import PromotionRefused, apply_local_promotion_code


class LocalCheckoutDisabled(Exception):
    """The local test checkout only exists with DEBUG on and no Stripe keys."""


def complete_local_checkout(*, purchase: Purchase) -> Purchase | None:
    """Complete an open test-mode purchase as if Stripe had reported it paid.

    Writes: what `fulfill_checkout` writes — the same path a real webhook takes — fed with
    a Checkout Session shaped like Stripe's (quantity, sale and bonus as quoted, the
    promotion code applied). Guarantees: refuses outside development and for purchases not
    opened in test mode; repeating it credits nothing more. A promotion code that stopped
    being redeemable since it was applied (expired, used up meanwhile) is removed and
    PromotionRefused raised, so the customer sees the new price before paying.
    """
    if not selectors.is_local_checkout_enabled() or not purchase.test_mode:
        raise LocalCheckoutDisabled
    if purchase.promotion_code_id and purchase.status == Purchase.Status.OPEN:
        error = promotion_selectors.redemption_error(
            purchase.promotion_code, purchase=purchase, now=timezone.now())
        if error:
            apply_local_promotion_code(purchase=purchase, code="", now=timezone.now())
            raise PromotionRefused(
                error + " " + _("It was removed; check the price and pay again."))
    promotion = purchase.promotion_code
    session = {
        "id": purchase.stripe_checkout_session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_subtotal": purchase.amount_subtotal,
        "amount_total": purchase.amount_total,
        "currency": purchase.currency,
        "discounts": [{"promotion_code": promotion.stripe_promotion_code_id or None}]
        if promotion else [],
        "total_details": {"amount_discount": purchase.discount_cents},
        "client_reference_id": str(purchase.public_id),
        "payment_intent": f"pi_test_local_{purchase.public_id.hex}",
        "metadata": {
            "pack": purchase.pack.slug,
            "token_account": str(purchase.token_account_id),
            "user": str(purchase.user_id),
            "purchase": str(purchase.public_id),
            "quantity": str(purchase.quantity),
            "tokens": str(purchase.tokens),
            "bonus_tokens": str(purchase.bonus_tokens),
        },
    }
    return fulfill_checkout(session=session)
