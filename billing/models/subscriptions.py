"""Subscriptions: plans billed by Stripe Billing that grant a monthly token allowance.

Stripe is the system of record for money (its Subscription and Invoice objects, synced by
dj-stripe); these rows hold what our ledger needs: who the billing owner is, which of their
subscriptions is the live one, which invoices were paid, and which lots each one granted.

The billing owner is a `TokenAccount` (a user's today, a team's later): a `BillingCustomer`
links it to its Stripe Customer, and subscriptions belong to the account, not to a user.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from billing.money import format_money


class SubscriptionPlan(models.Model):
    """A plan for sale: `tokens_per_month` granted every month it is paid for.

    A yearly plan is billed once a year and still grants month by month. Synced to a
    Stripe Product and recurring Price by `sync_stripe_catalog`, like the packs.
    """

    class Interval(models.TextChoices):
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    tokens_per_month = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField(help_text="Price per billing interval.")
    currency = models.CharField(max_length=3, default="usd")
    rollover_cap = models.PositiveIntegerField(
        default=0, help_text="Unused allowance carried into the next month, at most (0: none).")
    trial_days = models.PositiveSmallIntegerField(default=0)
    trial_tokens = models.PositiveIntegerField(default=0)
    api_requests_per_minute = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Public API requests a subscriber's workspace may make per minute "
                  "(empty: the API_RATE_LIMIT_WORKSPACE default).")
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "tokens_per_month", "interval"]
        constraints = [
            models.CheckConstraint(condition=Q(tokens_per_month__gt=0),
                                   name="billing_plan_tokens_positive"),
            models.CheckConstraint(condition=Q(price_cents__gt=0),
                                   name="billing_plan_price_positive"),
            models.CheckConstraint(condition=Q(trial_days=0) | Q(trial_tokens__gt=0),
                                   name="billing_plan_trial_has_tokens"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tokens_per_month} tokens/month)"

    @property
    def months(self) -> int:
        """Allowance months in one billing interval."""
        return 12 if self.interval == self.Interval.YEAR else 1

    @property
    def price_per_month_cents(self) -> int:
        return round(self.price_cents / self.months)

    @property
    def price_label(self) -> str:
        return format_money(self.price_cents, self.currency)

    @property
    def lookup_key(self) -> str:
        return f"myba-plan-{self.slug}-{self.currency}"

    @property
    def stripe_product_key(self) -> str:
        return f"myba-plan-{self.slug}"


class BillingCustomer(models.Model):
    """The Stripe Customer that pays for a billing owner (a token account).

    One per account and one per Stripe customer: webhooks name a customer, and this row
    says whose tokens its invoices buy. A team later owns its own account and customer.
    """

    token_account = models.OneToOneField(
        "tokens.TokenAccount", on_delete=models.PROTECT, related_name="billing_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.stripe_customer_id} pays for account {self.token_account_id}"


class SubscriptionCheckout(models.Model):
    """A subscription Checkout Session we opened; the open ones of an account are expired
    when one of its subscriptions starts (a second tab cannot then start another). A
    completed one keeps what the first payment was and the promotion code it redeemed."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETE = "complete", _("Complete")
        EXPIRED = "expired", _("Expired")

    token_account = models.ForeignKey("tokens.TokenAccount", on_delete=models.PROTECT,
                                      related_name="subscription_checkouts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="+")
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    promotion_code = models.ForeignKey(
        "billing.PromotionCode", null=True, blank=True, on_delete=models.PROTECT,
        related_name="subscription_checkouts", help_text="The code redeemed on Stripe's page.")
    amount_subtotal = models.PositiveIntegerField(default=0)
    amount_total = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.plan.slug} checkout {self.stripe_checkout_session_id} ({self.status})"


class PlanSubscription(models.Model):
    """Our copy of one Stripe Subscription of a billing owner, kept in step by webhooks.

    At most one subscription per account is live (trialing, active, past due or unpaid): a
    partial unique constraint. A second one that Stripe started anyway (two tabs paid at
    once) is recorded as a duplicate, canceled and refunded.
    """

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("Incomplete")
        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        UNPAID = "unpaid", _("Unpaid")
        CANCELED = "canceled", _("Canceled")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("Not started")
        PAUSED = "paused", _("Paused")

    LIVE = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE, Status.UNPAID)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_account = models.ForeignKey("tokens.TokenAccount", on_delete=models.PROTECT,
                                      related_name="plan_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="plan_subscriptions",
                             help_text="Who subscribed (told about renewals and failures).")
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="+")
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    duplicate = models.BooleanField(
        default=False, help_text="A second subscription for an account that already had one: "
                                 "canceled and refunded automatically.")
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_reason = models.CharField(max_length=500, blank=True)
    canceled_at = models.DateTimeField(
        null=True, blank=True, help_text="When cancelling was asked for (Stripe's canceled_at).")
    started_at = models.DateTimeField(null=True, blank=True, help_text="Stripe's start_date.")
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the subscription ended (Stripe's ended_at).")
    test_mode = models.BooleanField(
        default=False, help_text="Driven by the local test mode: nothing is charged.")
    # Emails claimed by conditional update before sending: each is sent once.
    last_failed_invoice_id = models.CharField(
        max_length=255, blank=True, help_text="The invoice whose payment last failed (its email "
                                              "is claimed by setting this).")
    ended_emailed_at = models.DateTimeField(null=True, blank=True)
    duplicate_settled_at = models.DateTimeField(
        null=True, blank=True, help_text="The duplicate was canceled and refunded at Stripe.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["token_account"],
                condition=Q(status__in=["trialing", "active", "past_due", "unpaid"],
                            duplicate=False),
                name="billing_one_live_subscription_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} for account {self.token_account_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE and not self.duplicate


class SubscriptionInvoice(models.Model):
    """A paid Stripe invoice of a subscription: what it paid for and what it granted.

    `kind` says how it grants: a trial's $0 invoice grants the trial allowance; a period's
    invoice (first, renewal, or a change that restarts the billing cycle) grants its months;
    a proration (an upgrade mid-period) grants the difference for the rest of the month.
    """

    class Kind(models.TextChoices):
        TRIAL = "trial", _("Trial")
        PERIOD = "period", _("Billing period")
        PRORATION = "proration", _("Upgrade")

    subscription = models.ForeignKey(PlanSubscription, on_delete=models.PROTECT,
                                     related_name="invoices")
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="+")
    previous_plan = models.ForeignKey(SubscriptionPlan, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    number = models.CharField(max_length=64, blank=True)
    billing_reason = models.CharField(max_length=40, blank=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a mid-period change took effect (prorations).")
    amount_paid = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    hosted_invoice_url = models.URLField(max_length=2048, blank=True)
    invoice_pdf = models.URLField(max_length=2048, blank=True)
    amount_refunded = models.PositiveIntegerField(default=0)
    paid_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")),
                                   name="billing_invoice_period_positive"),
            models.CheckConstraint(condition=Q(amount_refunded__lte=F("amount_paid")),
                                   name="billing_invoice_refund_le_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_invoice_id} ({self.kind}, {self.plan.slug})"

    @property
    def refunded(self) -> bool:
        return self.amount_refunded > 0


class AllowanceGrant(models.Model):
    """One allowance lot: month `month` of an invoice (its ledger key is
    `stripe:invoice:<id>:m<month>`, or `...:m<month>:rollover` for tokens carried over)."""

    class Kind(models.TextChoices):
        TRIAL = "trial", _("Trial allowance")
        ALLOWANCE = "allowance", _("Monthly allowance")
        PRORATION = "proration", _("Upgrade difference")
        ROLLOVER = "rollover", _("Carried over")

    invoice = models.ForeignKey(SubscriptionInvoice, on_delete=models.PROTECT,
                                related_name="grants")
    month = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    tokens = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    lot_entry = models.OneToOneField("tokens.LedgerEntry", on_delete=models.PROTECT,
                                     related_name="allowance_grant")
    tokens_clawed_back = models.PositiveIntegerField(default=0)
    clawback_shortfall = models.PositiveIntegerField(default=0)
    needs_review = models.BooleanField(
        default=False, help_text="Refunded after some of its tokens were spent.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "month", "kind"],
                                    name="billing_allowance_once_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12),
                                   name="billing_allowance_month_range"),
            models.CheckConstraint(condition=Q(tokens__gt=0),
                                   name="billing_allowance_tokens_positive"),
            models.CheckConstraint(condition=Q(tokens_clawed_back__lte=F("tokens")),
                                   name="billing_allowance_clawback_le_tokens"),
        ]

    def __str__(self) -> str:
        return f"{self.tokens} {self.kind} tokens, month {self.month} of {self.invoice_id}"
