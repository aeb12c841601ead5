from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from djstripe.admin.admin import WebhookEventTriggerAdmin
from djstripe.models import WebhookEventTrigger

from billing import services
from billing.models import (
    AllowanceGrant,
    AutoTopUp,
    ChargeRefund,
    PackSale,
    PlanSubscription,
    PromotionCode,
    Purchase,
    SubscriptionCheckout,
    SubscriptionInvoice,
    SubscriptionPlan,
    TokenPack,
    WebhookRetry,
)
from tokens.admin import ReadOnlyAdmin, ReadOnlyInline


class PackSaleInline(admin.TabularInline):
    """Flash sales of the pack: PackSale.clean refuses an end before the start, a sale price
    not below the pack's price and overlapping sales."""

    model = PackSale
    extra = 0
    fields = ("name", "sale_price_cents", "bonus_tokens", "starts_at", "ends_at")


@admin.register(TokenPack)
class TokenPackAdmin(admin.ModelAdmin):
    inlines = [PackSaleInline]
    list_display = (
        "name",
        "slug",
        "tokens",
        "price_cents",
        "currency",
        "active",
        "stripe_price_id",
    )
    list_editable = ("active",)
    readonly_fields = ("stripe_product_id", "stripe_price_id", "updated_at")
    search_fields = ("name", "slug")


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "pack",
        "quantity",
        "tokens",
        "bonus_tokens",
        "promotion_code",
        "amount_total",
        "currency",
        "status",
        "first_purchase_discount",
        "needs_review",
        "test_mode",
    )
    list_filter = ("status", "automatic", "needs_review", "first_purchase_discount", "test_mode",
                   "pack")
    search_fields = (
        "user__email",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "stripe_charge_id",
        "public_id",
    )
    list_select_related = ("user", "pack")
    date_hierarchy = "created_at"


@admin.register(PackSale)
class PackSaleAdmin(admin.ModelAdmin):
    list_display = ("pack", "name", "sale_price_cents", "bonus_tokens", "starts_at", "ends_at")
    list_filter = ("pack",)
    list_select_related = ("pack",)
    date_hierarchy = "starts_at"


@admin.register(PromotionCode)
class PromotionCodeAdmin(ReadOnlyAdmin):
    """Read-only: staff make and retire codes on the dashboard's Promotions page, which keeps
    Stripe in step."""

    list_display = ("code", "percent_off", "amount_off", "currency", "expires_at",
                    "max_redemptions", "first_time_only", "active", "test_mode", "created_at")
    list_filter = ("active", "test_mode", "first_time_only")
    search_fields = ("code", "stripe_promotion_code_id", "stripe_coupon_id")


@admin.register(SubscriptionPlan)
class SubscriptionPlanAdmin(admin.ModelAdmin):
    """Plans are edited here and pushed to Stripe by `sync_stripe_catalog` (a new price makes
    a new Stripe Price; subscribers keep theirs until they change plan). Once a plan is in
    Stripe its slug, interval and currency are fixed, and plans are retired, never deleted."""

    list_display = ("name", "slug", "interval", "tokens_per_month", "price_cents", "currency",
                    "rollover_cap", "trial_days", "trial_tokens", "active", "stripe_price_id")
    list_editable = ("active",)
    list_filter = ("interval", "active", "currency")
    search_fields = ("name", "slug", "stripe_price_id")

    def get_readonly_fields(self, request, obj=None):
        fixed = ("stripe_product_id", "stripe_price_id", "updated_at")
        if obj is not None and obj.stripe_price_id:
            return ("slug", "interval", "currency", *fixed)
        return fixed

    def has_delete_permission(self, request, obj=None):
        return False


class SubscriptionInvoiceInline(ReadOnlyInline):
    model = SubscriptionInvoice
    fields = ("stripe_invoice_id", "kind", "plan", "period_start", "period_end", "amount_paid",
              "amount_refunded", "currency", "paid_at")


@admin.register(PlanSubscription)
class PlanSubscriptionAdmin(ReadOnlyAdmin):
    """Read-only: Stripe's webhooks keep these in step; staff act on subscriptions in Stripe."""

    list_display = ("stripe_subscription_id", "user", "plan", "status", "cancel_at_period_end",
                    "current_period_end", "started_at", "ended_at", "duplicate", "test_mode")
    list_filter = ("status", "plan", "cancel_at_period_end", "duplicate", "test_mode")
    search_fields = ("stripe_subscription_id", "stripe_customer_id", "user__email")
    list_select_related = ("user", "plan")
    date_hierarchy = "created_at"
    inlines = [SubscriptionInvoiceInline]


class AllowanceGrantInline(ReadOnlyInline):
    model = AllowanceGrant
    fields = ("month", "kind", "tokens", "starts_at", "expires_at", "tokens_clawed_back",
              "needs_review")


@admin.register(SubscriptionInvoice)
class SubscriptionInvoiceAdmin(ReadOnlyAdmin):
    list_display = ("stripe_invoice_id", "subscription", "kind", "plan", "period_start",
                    "amount_paid", "amount_refunded", "currency", "paid_at")
    list_filter = ("kind", "plan", "currency")
    search_fields = ("stripe_invoice_id", "number", "subscription__stripe_subscription_id",
                     "subscription__user__email")
    list_select_related = ("subscription", "plan")
    date_hierarchy = "paid_at"
    inlines = [AllowanceGrantInline]


@admin.register(AllowanceGrant)
class AllowanceGrantAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "month", "kind", "tokens", "starts_at", "expires_at",
                    "tokens_clawed_back", "clawback_shortfall", "needs_review")
    list_filter = ("kind", "needs_review")
    search_fields = ("invoice__stripe_invoice_id", "invoice__subscription__user__email")
    list_select_related = ("invoice",)
    date_hierarchy = "starts_at"


@admin.register(SubscriptionCheckout)
class SubscriptionCheckoutAdmin(ReadOnlyAdmin):
    list_display = ("stripe_checkout_session_id", "user", "plan", "status", "promotion_code",
                    "amount_total", "currency", "created_at", "completed_at")
    list_filter = ("status", "plan")
    search_fields = ("stripe_checkout_session_id", "user__email", "promotion_code__code")
    list_select_related = ("user", "plan", "promotion_code")


@admin.register(AutoTopUp)
class AutoTopUpAdmin(ReadOnlyAdmin):
    """Read-only: the user turns it on and off; a failed charge turns it off."""

    list_display = ("user", "enabled", "pack", "card_label", "test_mode", "last_attempt_at",
                    "last_failure_at", "last_failure")
    list_filter = ("enabled", "test_mode", "pack")
    search_fields = ("user__email", "stripe_customer_id", "payment_method_id")
    list_select_related = ("user", "pack")


@admin.register(ChargeRefund)
class ChargeRefundAdmin(ReadOnlyAdmin):
    list_display = (
        "stripe_charge_id",
        "stripe_payment_intent_id",
        "amount_refunded",
        "amount_captured",
        "applied_amount",
        "updated_at",
    )
    search_fields = ("stripe_charge_id", "stripe_payment_intent_id")


@admin.register(WebhookRetry)
class WebhookRetryAdmin(ReadOnlyAdmin):
    list_display = ("trigger", "attempts", "next_attempt_at", "resolved_at", "gave_up_at")
    list_filter = ("resolved_at", "gave_up_at")


admin.site.unregister(WebhookEventTrigger)


@admin.register(WebhookEventTrigger)
class RetryableWebhookEventTriggerAdmin(WebhookEventTriggerAdmin):
    """dj-stripe's trigger list, plus a staff action to retry failed processing now (in the
    background, audit-logged, like the dashboard's Retry button)."""

    actions = ["retry_processing"]

    @admin.action(description="Retry processing of the selected failed webhooks")
    def retry_processing(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queued = sum(
            services.queue_webhook_retry(
                trigger_id=pk, actor=request.user, reason="Retried from the Django admin"
            )
            for pk in ids
        )
        self.message_user(
            request,
            f"{queued} retr{'y' if queued == 1 else 'ies'} queued; {len(ids) - queued} skipped "
            "(invalid or already processed). Reload the list to see the results.",
            messages.SUCCESS if queued else messages.WARNING,
        )


def _searchable(model, path: str) -> bool:
    try:
        get_fields_from_path(model, path)
    except (FieldDoesNotExist, NotRelationField):
        return False
    return True


def _drop_unsearchable_fields(site: admin.AdminSite) -> None:
    """dj-stripe 2.11 keeps many Stripe fields only in its `stripe_data` JSON now, but its
    admin still searches them (Customer.description, Invoice.number, Session.customer_email,
    ...): any search there was a FieldError, a 500. Search what the tables still have."""
    for model, model_admin in site._registry.items():
        if model._meta.app_label == "djstripe":
            model_admin.search_fields = tuple(
                path for path in model_admin.search_fields if _searchable(model, path)
            )


_drop_unsearchable_fields(admin.site)
