"""Billing models, one module per concern; import them from here."""

from billing.models.auto_top_up import AUTO_TOP_UP_INTERVAL, AutoTopUp
from billing.models.packs import ChargeRefund, Purchase, TokenPack
from billing.models.promotions import PackSale, PromotionCode
from billing.models.subscriptions import (
    AllowanceGrant,
    BillingCustomer,
    PlanSubscription,
    SubscriptionCheckout,
    SubscriptionInvoice,
    SubscriptionPlan,
)
from billing.models.webhooks import WebhookRetry

__all__ = [
    "AUTO_TOP_UP_INTERVAL",
    "AllowanceGrant",
    "BillingCustomer",
    "PlanSubscription",
    "SubscriptionCheckout",
    "SubscriptionInvoice",
    "SubscriptionPlan",
    "AutoTopUp",
    "ChargeRefund",
    "PackSale",
    "PromotionCode",
    "Purchase",
    "TokenPack",
    "WebhookRetry",
]
