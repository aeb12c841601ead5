"""How billing reaches Stripe: which key, which coupon, whether Stripe is configured at all.

The stripe SDK is called directly (it is the well-kept client); these helpers only read
settings so every caller agrees on them.
"""

from django.conf import settings
from djstripe.settings import djstripe_settings


def api_key() -> str:
    """The secret key for the mode we run in (test unless STRIPE_LIVE_MODE)."""
    return djstripe_settings.STRIPE_SECRET_KEY


def is_configured() -> bool:
    return bool(api_key())


def livemode() -> bool:
    return bool(djstripe_settings.STRIPE_LIVE_MODE)


def discount_percent() -> int:
    return int(settings.BILLING_FIRST_PURCHASE_DISCOUNT_PERCENT)


def first_purchase_coupon_id() -> str:
    """Coupons are immutable in Stripe, so the percentage is part of the id."""
    return f"myba-first-purchase-{discount_percent()}pct"
