"""Promotion codes: made by staff (a Stripe Coupon + PromotionCode and our row), retired by
staff or by Stripe, redeemed at Stripe Checkout or on the local test checkout."""

import logging
import uuid
from datetime import datetime

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import promotion_selectors, selectors, stripe_api
from billing.models import PromotionCode, Purchase, SubscriptionPlan, TokenPack

logger = logging.getLogger(__name__)


class PromotionUnavailable(Exception):
    """A promotion code could not be made or changed; `message` is safe to show staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PromotionRefused(Exception):
    """A code cannot be redeemed on this checkout; `message` is safe to show the customer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def restricted_product_ids(*, packs: bool, plans: bool) -> list[str]:
    """The Stripe Products a promotion may discount (its coupon's `applies_to[products]`):
    every pack's Product for `packs`, every plan's for `plans` (a `once` coupon takes its
    discount off a plan's first invoice)."""
    products: list[str] = []
    if packs:
        products += TokenPack.objects.exclude(stripe_product_id="").order_by(
            "sort_order", "pk").values_list("stripe_product_id", flat=True)
    if plans:
        products += SubscriptionPlan.objects.exclude(stripe_product_id="").order_by(
            "sort_order", "pk").values_list("stripe_product_id", flat=True)
    return products


def _stripe_id(value) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _create_in_stripe(*, request_key: uuid.UUID, code: str, products: list[str],
                      percent_off: int | None, amount_off: int | None, currency: str,
                      expires_at: datetime | None, max_redemptions: int | None,
                      first_time_only: bool) -> tuple[str, str]:
    """The Stripe Coupon and PromotionCode ids (keys from `request_key`: a retry of the same
    form reuses both)."""
    key = stripe_api.api_key()
    metadata = {"myba_promotion": str(request_key)}
    discount = {"percent_off": percent_off} if percent_off else \
        {"amount_off": amount_off, "currency": currency}
    coupon = stripe.Coupon.create(
        api_key=key, idempotency_key=f"myba-promo-coupon-{request_key}", duration="once",
        name=code, applies_to={"products": products}, metadata=metadata, **discount)
    params: dict = {"restrictions": {"first_time_transaction": first_time_only}}
    if expires_at is not None:
        params["expires_at"] = int(expires_at.timestamp())
    if max_redemptions is not None:
        params["max_redemptions"] = max_redemptions
    promotion = stripe.PromotionCode.create(
        api_key=key, idempotency_key=f"myba-promo-code-{request_key}", code=code,
        promotion={"type": "coupon", "coupon": coupon["id"]}, metadata=metadata, **params)
    return coupon["id"], promotion["id"]


def create_promotion_code(
    *, actor, request_key: uuid.UUID, code: str, percent_off: int | None = None,
    amount_off: int | None = None, currency: str = "", expires_at: datetime | None = None,
    max_redemptions: int | None = None, first_time_only: bool = False,
    applies_to_packs: bool = True, applies_to_plans: bool = False,
) -> PromotionCode:
    """Make a promotion code: percent or amount off, once per checkout.

    Writes: in Stripe a Coupon (the discount, `applies_to[products]` from
    `restricted_product_ids`) and a PromotionCode (the code, expiry, redemption cap, first-time
    rule), each with an idempotency key from `request_key` (the form's nonce), then our
    `PromotionCode` row linking both. With the local test checkout (development, no Stripe
    keys) only the row, marked `test_mode`.
    Locks: none; no transaction is open while Stripe is called. Guarantees: our row is
    written only after Stripe created both objects, so a Stripe failure leaves no row (a
    Coupon made before a refused PromotionCode has no code, so no customer can reach it, and
    a retry of the same form reuses it); a repeated `request_key` returns the first row.
    Raises PromotionUnavailable.
    """
    code = code.strip().upper()
    repeated = PromotionCode.objects.filter(request_key=request_key).first()
    if repeated is not None:  # the same form submitted twice
        return repeated
    if PromotionCode.objects.filter(code=code, active=True).exists():
        raise PromotionUnavailable(f"An active code {code} exists already.")
    fields = {
        "code": code, "percent_off": percent_off or None,
        "amount_off": None if percent_off else amount_off,
        "currency": "" if percent_off else currency.lower(), "expires_at": expires_at,
        "max_redemptions": max_redemptions, "first_time_only": first_time_only,
        "applies_to_packs": applies_to_packs, "applies_to_plans": applies_to_plans,
        "created_by": actor, "request_key": request_key,
    }
    if selectors.is_local_checkout_enabled():
        fields["test_mode"] = True
    elif not stripe_api.is_configured():
        raise PromotionUnavailable("Stripe is not configured: promotion codes cannot be made.")
    else:
        products = restricted_product_ids(packs=applies_to_packs, plans=applies_to_plans)
        if not products:
            raise PromotionUnavailable(
                "Nothing it applies to is in Stripe yet (run `manage.py sync_stripe_catalog` "
                "first). Nothing was created.")
        try:
            fields["stripe_coupon_id"], fields["stripe_promotion_code_id"] = _create_in_stripe(
                request_key=request_key, code=code, products=products,
                percent_off=fields["percent_off"], amount_off=fields["amount_off"],
                currency=fields["currency"], expires_at=expires_at,
                max_redemptions=max_redemptions, first_time_only=first_time_only)
        except stripe.StripeError as error:
            logger.exception("Stripe refused promotion code %s", code)
            said = getattr(error, "user_message", None) or "it could not be reached"
            raise PromotionUnavailable(
                f"Stripe did not create the code ({said}). Nothing was saved; "
                "please try again.") from error
    try:
        with transaction.atomic():
            return PromotionCode.objects.create(**fields)
    except IntegrityError:
        repeated = PromotionCode.objects.filter(request_key=request_key).first()
        if repeated is not None:
            return repeated
        raise PromotionUnavailable(f"An active code {code} exists already.") from None


def deactivate_promotion_code(*, promotion: PromotionCode) -> PromotionCode:
    """Retire a code: Stripe's PromotionCode is set inactive first (no lock held), then our
    row by conditional update (`active` true -> false, `deactivated_at`). Idempotent.
    Raises PromotionUnavailable (our row unchanged) when Stripe cannot be reached."""
    if promotion.active and not promotion.test_mode:
        try:
            stripe.PromotionCode.modify(promotion.stripe_promotion_code_id, active=False,
                                        api_key=stripe_api.api_key())
        except stripe.StripeError as error:
            logger.exception("Could not deactivate promotion code %s", promotion.code)
            raise PromotionUnavailable(
                f"Stripe could not be reached: {promotion.code} is still active. "
                "Please try again.") from error
    PromotionCode.objects.filter(pk=promotion.pk, active=True).update(
        active=False, deactivated_at=timezone.now())
    promotion.refresh_from_db()
    return promotion


def record_stripe_promotion_code(*, promotion_code: dict) -> None:
    """A `promotion_code.updated` event: a code made inactive in Stripe (by hand in its
    dashboard) is retired here too, by conditional update. Codes are never re-activated
    from an event: staff make a new one."""
    if promotion_code.get("active") is False and promotion_code.get("id"):
        PromotionCode.objects.filter(
            stripe_promotion_code_id=promotion_code["id"], active=True
        ).update(active=False, deactivated_at=timezone.now())


def redeemed_promotion(session: dict) -> PromotionCode | None:
    """Our code that a paid Checkout Session redeemed (`discounts[].promotion_code`)."""
    for discount in session.get("discounts") or []:
        promotion_id = _stripe_id((discount or {}).get("promotion_code"))
        if not promotion_id:
            continue
        found = PromotionCode.objects.filter(stripe_promotion_code_id=promotion_id).first()
        if found is not None:
            return found
        logger.warning("Checkout %s redeemed promotion code %s, made outside MyBA",
                       session.get("id"), promotion_id)
    return None


def apply_local_promotion_code(*, purchase: Purchase, code: str, now: datetime) -> Purchase:
    """Redeem a code on an open local test checkout (no Stripe keys): the checks Stripe would
    make (`promotion_selectors.redemption_error`), then the purchase's total is discounted.
    Writes: the purchase's `promotion_code` and `amount_total` (row locked). An empty code
    removes the one applied. Raises PromotionRefused (nothing changed)."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if purchase.status != Purchase.Status.OPEN or not purchase.test_mode:
            raise PromotionRefused(_("This checkout is closed."))
        promotion = None
        if code.strip():
            promotion = promotion_selectors.find_active_promotion(code)
            error = promotion_selectors.redemption_error(promotion, purchase=purchase, now=now)
            if error:
                raise PromotionRefused(error)
        discount = promotion.discount_on(purchase.amount_subtotal) if promotion else 0
        if not purchase.first_purchase_discount:
            purchase.amount_total = purchase.amount_subtotal - discount
        purchase.promotion_code = promotion
        purchase.save(update_fields=["promotion_code", "amount_total", "updated_at"])
    return purchase
