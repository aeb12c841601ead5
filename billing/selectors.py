"""Reads for billing: packs, purchases, and whether the local test checkout exists."""

from django.conf import settings
from django.db.models import QuerySet

from billing import stripe_api
from billing.models import Purchase, TokenPack

COMPLETED_STATUSES = (
    Purchase.Status.PAID,
    Purchase.Status.PARTIALLY_REFUNDED,
    Purchase.Status.REFUNDED,
)


def is_local_checkout_enabled() -> bool:
    """The local test checkout exists only for development: DEBUG on and no Stripe key.

    Read at request time (never cached) so a deployment that sets a key or turns DEBUG off
    loses the page at once.
    """
    return bool(settings.DEBUG) and not stripe_api.is_configured()


def list_active_packs() -> QuerySet[TokenPack]:
    return TokenPack.objects.filter(active=True).order_by("sort_order", "tokens")


def get_active_pack(slug: str) -> TokenPack | None:
    return list_active_packs().filter(slug=slug).first()


def list_purchases(user) -> QuerySet[Purchase]:
    """A user's purchase history: every session that was paid, refunded, or is still open."""
    return (
        Purchase.objects.filter(user=user)
        .exclude(status=Purchase.Status.EXPIRED)
        .select_related("pack")
        .order_by("-created_at")
    )


def get_user_purchase(user, public_id) -> Purchase | None:
    return Purchase.objects.filter(user=user, public_id=public_id).select_related("pack").first()


def get_purchase_by_session(user, session_id: str) -> Purchase | None:
    if not session_id:
        return None
    return (
        Purchase.objects.filter(user=user, stripe_checkout_session_id=session_id)
        .select_related("pack")
        .first()
    )


def has_completed_purchase(user) -> bool:
    return Purchase.objects.filter(user=user, status__in=COMPLETED_STATUSES).exists()


def is_first_purchase_discount_available(user) -> bool:
    """Shown on the pricing page: the user has never bought (open sessions do not count —
    starting a new checkout replaces an abandoned discounted one)."""
    if not getattr(user, "is_authenticated", False):
        return True
    return stripe_api.discount_percent() > 0 and not has_completed_purchase(user)


def discounted_price_cents(pack: TokenPack, percent: int) -> int:
    """What Stripe charges for a `percent`-off coupon: the discount is rounded to the cent."""
    return pack.price_cents - round(pack.price_cents * percent / 100)
