"""Every billing write. Split by concern; import from here."""

from billing.services.auto_top_up import fail_payment_intent
from billing.services.catalog import CatalogSyncReport, sync_stripe_catalog
from billing.services.checkout import (
    CheckoutRedirect,
    CheckoutUnavailable,
    create_checkout_session,
    expire_checkout,
)
from billing.services.fulfilment import (
    fulfill_checkout,
    fulfill_payment_intent,
    record_charge_receipt,
    refund_purchase,
)
from billing.services.local import complete_local_checkout
from billing.services.promotions import (
    PromotionRefused,
    PromotionUnavailable,
    apply_local_promotion_code,
    create_promotion_code,
    deactivate_promotion_code,
    record_stripe_promotion_code,
)
from billing.services.purchase_invoices import record_purchase_invoice
from billing.services.webhooks import (
    RetryOutcome,
    queue_webhook_retry,
    retry_failed_webhooks,
    retry_webhook,
)

__all__ = [
    "CatalogSyncReport",
    "CheckoutRedirect",
    "CheckoutUnavailable",
    "PromotionRefused",
    "PromotionUnavailable",
    "RetryOutcome",
    "apply_local_promotion_code",
    "complete_local_checkout",
    "create_checkout_session",
    "create_promotion_code",
    "deactivate_promotion_code",
    "expire_checkout",
    "fail_payment_intent",
    "fulfill_checkout",
    "fulfill_payment_intent",
    "record_charge_receipt",
    "record_purchase_invoice",
    "record_stripe_promotion_code",
    "queue_webhook_retry",
    "refund_purchase",
    "retry_failed_webhooks",
    "retry_webhook",
    "sync_stripe_catalog",
]
