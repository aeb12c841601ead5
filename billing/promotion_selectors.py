"""Reads for promotions: the staff page's codes and their redemptions, and whether a code can
be redeemed on a purchase (the local test checkout's check; Stripe checks its own codes).

A redemption is a paid purchase (paid, partly or fully refunded) that carries the code: the
"coupon redemptions" figure is counted from those rows and the page lists the same rows.
"""

from datetime import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from billing.models import PromotionCode, Purchase

REDEEMED = Q(status__in=Purchase.PAID_STATUSES)


def list_promotion_codes() -> QuerySet[PromotionCode]:
    """Every code, newest first, with `redemptions` (paid purchases that used it),
    `discount_given` and `charged` (smallest unit) and `redeemed_purchases` (those same
    purchases, newest first) — one query for the codes, one for the purchases."""
    redeemed = Q(purchases__status__in=Purchase.PAID_STATUSES)
    return (
        PromotionCode.objects.select_related("created_by")
        .annotate(
            redemptions=Count("purchases", filter=redeemed),
            charged=Coalesce(Sum("purchases__amount_total", filter=redeemed), 0),
            discount_given=Coalesce(Sum(F("purchases__amount_subtotal")
                                        - F("purchases__amount_total"), filter=redeemed), 0),
        )
        .prefetch_related(Prefetch(
            "purchases",
            queryset=Purchase.objects.filter(REDEEMED).select_related("user", "pack")
            .order_by("-paid_at"),
            to_attr="redeemed_purchases",
        ))
        .order_by("-active", "-created_at", "-id")
    )


def get_promotion_code(pk: int) -> PromotionCode | None:
    return PromotionCode.objects.filter(pk=pk).first()


def count_redemptions(promotion: PromotionCode, *, excluding: Purchase | None = None) -> int:
    purchases = promotion.purchases.filter(REDEEMED)
    if excluding is not None:
        purchases = purchases.exclude(pk=excluding.pk)
    return purchases.count()


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
        return "That code is not valid."
    if purchase.first_purchase_discount:
        return ("Your first-purchase discount is already applied; it cannot be combined "
                "with a promotion code.")
    if promotion.expires_at is not None and promotion.expires_at <= now:
        return "That code has expired."
    if not promotion.applies_to_packs:
        return "That code is not valid for token packs."
    if promotion.amount_off and promotion.currency != purchase.currency:
        return "That code is not valid in this currency."
    if promotion.first_time_only and has_completed_purchase(purchase.user):
        return "That code is only for a first purchase."
    if promotion.max_redemptions is not None and \
            count_redemptions(promotion, excluding=purchase) >= promotion.max_redemptions:
        return "That code has been used the maximum number of times."
    return ""
