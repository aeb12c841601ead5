"""Reads for promotions: the staff page's codes and their redemptions, and whether a code can
be redeemed on a purchase (the local test checkout's check; Stripe checks its own codes).

A redemption is a paid purchase (paid, partly or fully refunded) or a completed plan checkout
that carries the code: the "coupon redemptions" figure is counted from those rows and the page
lists the same rows.
"""

from datetime import datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from billing.models import PromotionCode, Purchase, SubscriptionCheckout

REDEEMED = Q(status__in=Purchase.PAID_STATUSES)
CHECKOUT_REDEEMED = Q(status=SubscriptionCheckout.Status.COMPLETE)


def _per_code(rows: QuerySet, value) -> Subquery:
    """`value` summed over the `rows` that redeemed the outer code (0 when none)."""
    return Coalesce(Subquery(
        rows.filter(promotion_code=OuterRef("pk")).order_by().values("promotion_code")
        .annotate(total=value).values("total")), 0)


def list_promotion_codes() -> QuerySet[PromotionCode]:
    """Every code, newest first, with `redemptions` (paid purchases and completed plan
    checkouts that used it), `discount_given` and `charged` (smallest unit), and those same
    rows newest first as `redeemed_purchases` and `redeemed_checkouts` — one query for the
    codes and one for each kind of row."""
    purchases = Purchase.objects.filter(REDEEMED)
    checkouts = SubscriptionCheckout.objects.filter(CHECKOUT_REDEEMED)
    return (
        PromotionCode.objects.select_related("created_by")
        .annotate(
            redemptions=_per_code(purchases, Count("pk")) + _per_code(checkouts, Count("pk")),
            charged=_per_code(purchases, Sum("amount_total"))
            + _per_code(checkouts, Sum("amount_total")),
            discount_given=_per_code(purchases, Sum(F("amount_subtotal") - F("amount_total")))
            + _per_code(checkouts, Sum(F("amount_subtotal") - F("amount_total"))),
        )
        .prefetch_related(
            Prefetch("purchases", queryset=purchases.select_related("user", "pack")
                     .order_by("-paid_at"), to_attr="redeemed_purchases"),
            Prefetch("subscription_checkouts", queryset=checkouts.select_related("user", "plan")
                     .order_by("-completed_at"), to_attr="redeemed_checkouts"),
        )
        .order_by("-active", "-created_at", "-id")
    )


def get_promotion_code(pk: int) -> PromotionCode | None:
    return PromotionCode.objects.filter(pk=pk).first()


def count_redemptions(promotion: PromotionCode, *, excluding: Purchase | None = None) -> int:
    purchases = promotion.purchases.filter(REDEEMED)
    if excluding is not None:
        purchases = purchases.exclude(pk=excluding.pk)
    return purchases.count() + promotion.subscription_checkouts.filter(CHECKOUT_REDEEMED).count()


def find_active_promotion(code: str) -> PromotionCode | None:
    """The active code customers typed (codes are case-insensitive, stored upper-case)."""
    return PromotionCode.objects.filter(code=code.strip().upper(), active=True).first()


def redemption_error(promotion: PromotionCode | None, *, purchase: Purchase,
                     now: datetime) -> str:
    """Why `promotion` cannot be redeemed on `purchase` at `now` ("" when it can): it must
    exist and be active, not be expired, apply to packs and the purchase's currency, be
    under its redemption cap, be on a first purchase if it says so, and not be combined
    with the first-purchase discount (Stripe does not combine them either)."""
    from billing.selectors import has_completed_purchase

    if promotion is None or not promotion.active:
        return _("That code is not valid.")
    if purchase.first_purchase_discount:
        return _("Your first-purchase discount is already applied; it cannot be combined "
                 "with a promotion code.")
    if promotion.expires_at is not None and promotion.expires_at <= now:
        return _("That code has expired.")
    if not promotion.applies_to_packs:
        return _("That code is not valid for token packs.")
    if promotion.amount_off and promotion.currency != purchase.currency:
        return _("That code is not valid in this currency.")
    if promotion.first_time_only and has_completed_purchase(purchase.user):
        return _("That code is only for a first purchase.")
    if promotion.max_redemptions is not None and \
            count_redemptions(promotion, excluding=purchase) >= promotion.max_redemptions:
        return _("That code has been used the maximum number of times.")
    return ""
