from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self):
        from accounts.usage.exports import register_data_section
        from billing import receivers  # noqa: F401 - connects the dj-stripe webhook receivers
        from billing.models import PackSale, PlanSubscription, SubscriptionPlan, TokenPack
        from billing.selectors import (
            PACK_TABLE,
            SALE_TABLE,
            describe_purchase_references,
            user_purchases_data,
        )
        from billing.subscription_selectors import (
            BILLING_ALERTS,
            PLAN_TABLE,
            describe_invoice_references,
            user_subscriptions_data,
        )
        from tokens.references import register_describer

        # A purchase's credit and its refunds refer to the Stripe Checkout Session, or to the
        # PaymentIntent of an automatic top-up.
        register_describer("cs_", describe_purchase_references)
        register_describer("pi_", describe_purchase_references)
        # A plan's allowance lots, their rollovers and refunds refer to the paid invoice.
        register_describer("in_", describe_invoice_references)
        register_data_section("purchases", user_purchases_data)
        register_data_section("subscriptions", user_subscriptions_data)
        PACK_TABLE.follow(TokenPack)
        SALE_TABLE.follow(PackSale)
        PLAN_TABLE.follow(SubscriptionPlan)
        BILLING_ALERTS.follow(PlanSubscription, SubscriptionPlan)
