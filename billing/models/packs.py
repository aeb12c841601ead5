"""Billing: what we sell (token packs) and what was bought (purchases).

Stripe is the system of record for money and the ledger (`tokens`) for tokens; a `Purchase`
links the two: one Checkout Session, one credited lot, and what happened to it afterwards.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.money import format_money


class TokenPack(models.Model):
    """A pack of tokens for sale, linked to a Stripe Product and Price by `sync_stripe_catalog`."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    tokens = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField(help_text="Price in the smallest currency unit.")
    currency = models.CharField(max_length=3, default="usd")
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "tokens"]
        constraints = [
            models.CheckConstraint(condition=Q(tokens__gt=0), name="billing_pack_tokens_positive"),
            models.CheckConstraint(
                condition=Q(price_cents__gt=0), name="billing_pack_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tokens} tokens)"

    @property
    def lookup_key(self) -> str:
        """The Stripe Price lookup key; stable across price changes."""
        return f"myba-pack-{self.slug}-{self.currency}"

    @property
    def stripe_product_key(self) -> str:
        """Our own id for the Stripe Product (Stripe accepts caller-chosen product ids)."""
        return f"myba-pack-{self.slug}"


class Purchase(models.Model):
    """One Checkout Session for one pack, from opening to paid (and maybe refunded).

    The row is written when the session is opened, so the first-purchase discount can be
    reserved by a database constraint before Stripe is called.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        EXPIRED = "expired", _("Not completed")
        FAILED = "failed", _("Payment failed")

    # The customer paid (a refund gives money back but the purchase stays paid).
    PAID_STATUSES = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    token_account = models.ForeignKey(
        "tokens.TokenAccount", on_delete=models.PROTECT, related_name="purchases"
    )
    pack = models.ForeignKey(TokenPack, on_delete=models.PROTECT, related_name="purchases")
    quantity = models.PositiveSmallIntegerField(default=1, help_text="Packs bought at once.")
    tokens = models.PositiveIntegerField(help_text="Paid tokens (the pack's tokens x quantity).")
    bonus_tokens = models.PositiveIntegerField(
        default=0, help_text="Sale and bulk bonus, granted as a lot of its own.")
    sale = models.ForeignKey("billing.PackSale", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="purchases",
                             help_text="The flash sale the checkout was opened in.")
    promotion_code = models.ForeignKey(
        "billing.PromotionCode", null=True, blank=True, on_delete=models.PROTECT,
        related_name="purchases", help_text="The promotion code redeemed at checkout.")
    amount_subtotal = models.PositiveIntegerField(help_text="Before discount, smallest unit.")
    amount_total = models.PositiveIntegerField(help_text="Charged, smallest unit.")
    currency = models.CharField(max_length=3)
    discount_percent = models.PositiveSmallIntegerField(default=0)
    first_purchase_discount = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    test_mode = models.BooleanField(
        default=False, help_text="Completed through the local test checkout: nothing charged."
    )
    automatic = models.BooleanField(
        default=False, help_text="Bought by automatic top-up (an off-session payment)."
    )

    stripe_checkout_session_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2048, blank=True)
    session_expires_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    receipt_url = models.URLField(max_length=2048, blank=True)
    # Checkout creates an invoice for the one-off payment (`invoice_creation`): its links.
    stripe_invoice_id = models.CharField(max_length=255, blank=True, db_index=True)
    hosted_invoice_url = models.URLField(max_length=2048, blank=True)
    invoice_pdf = models.URLField(max_length=2048, blank=True)

    lot_entry = models.OneToOneField(
        "tokens.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase",
        help_text="The ledger credit (lot) this purchase paid for.",
    )
    bonus_entry = models.OneToOneField(
        "tokens.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bonus_purchase",
        help_text="The ledger credit (granted lot) of the bonus tokens.",
    )
    amount_refunded = models.PositiveIntegerField(default=0)
    tokens_clawed_back = models.PositiveIntegerField(default=0)
    clawback_shortfall = models.PositiveIntegerField(
        default=0, help_text="Refunded tokens that were already spent and could not be taken back."
    )
    bonus_clawed_back = models.PositiveIntegerField(default=0)
    bonus_clawback_shortfall = models.PositiveIntegerField(
        default=0, help_text="Refunded bonus tokens that were already spent.")
    needs_review = models.BooleanField(
        default=False, help_text="Refunded after some of its tokens were spent."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_checkout_session_id"],
                condition=~Q(stripe_checkout_session_id=""),
                name="billing_purchase_unique_session",
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~Q(stripe_payment_intent_id=""),
                name="billing_purchase_unique_payment_intent",
            ),
            # The first-purchase discount is reserved once per user: a second open or
            # completed discounted purchase cannot exist, whatever races the web tier runs.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(first_purchase_discount=True) & ~Q(status="expired"),
                name="billing_purchase_one_first_discount",
            ),
            models.CheckConstraint(
                condition=Q(amount_total__lte=models.F("amount_subtotal")),
                name="billing_purchase_total_le_subtotal",
            ),
            models.CheckConstraint(
                condition=Q(tokens_clawed_back__lte=models.F("tokens")),
                name="billing_purchase_clawback_le_tokens",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "partially_refunded", "refunded"])
                | Q(lot_entry__isnull=False),
                name="billing_purchase_paid_has_lot",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "partially_refunded", "refunded"])
                | Q(bonus_tokens=0) | Q(bonus_entry__isnull=False),
                name="billing_purchase_paid_bonus_has_lot",
            ),
            models.CheckConstraint(
                condition=Q(bonus_clawed_back__lte=models.F("bonus_tokens")),
                name="billing_purchase_bonus_clawback_le_bonus",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1),
                                   name="billing_purchase_quantity_positive"),
            # Stripe refuses a coupon together with promotion codes; so do we.
            models.CheckConstraint(
                condition=Q(first_purchase_discount=False) | Q(promotion_code__isnull=True),
                name="billing_purchase_one_kind_of_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pack.name} for {self.user} ({self.get_status_display()})"

    @property
    def is_credited(self) -> bool:
        return self.lot_entry_id is not None

    @property
    def discount_cents(self) -> int:
        return self.amount_subtotal - self.amount_total

    @property
    def amount_charged(self) -> int:
        """What the customer was actually charged: `amount_total` is the price of the
        checkout, which an open or abandoned session, or the local test checkout, never took."""
        if self.status not in self.PAID_STATUSES or self.test_mode:
            return 0
        return self.amount_total

    @property
    def state_note(self) -> str:
        """What happened to this checkout, in words, beside its status (for staff)."""
        price = format_money(self.amount_total, self.currency)
        if self.status == self.Status.OPEN:
            return f"Checkout for {price} started; not paid yet."
        if self.status == self.Status.EXPIRED:
            return f"Checkout for {price} closed without payment; nothing was charged."
        if self.test_mode:
            return "Local test checkout; nothing was charged."
        if self.needs_review:
            return (f"Refunded after {self.clawback_shortfall} of its tokens were spent; "
                    "needs review.")
        return ""


class ChargeRefund(models.Model):
    """Stripe's running total of what was refunded on a charge, as last reported.

    Stored on its own because `charge.refunded` can arrive before the checkout it refunds
    (Stripe does not order events); `fulfill_checkout` applies a waiting refund.
    """

    stripe_charge_id = models.CharField(max_length=255, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, db_index=True)
    amount_captured = models.PositiveIntegerField()
    amount_refunded = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    receipt_url = models.URLField(max_length=2048, blank=True)
    applied_amount = models.PositiveIntegerField(
        default=0, help_text="How much of amount_refunded has been clawed back in tokens."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=models.F("amount_captured")),
                name="billing_refund_le_captured",
            ),
            models.CheckConstraint(
                condition=Q(applied_amount__lte=models.F("amount_refunded")),
                name="billing_refund_applied_le_refunded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_charge_id}: {self.amount_refunded}/{self.amount_captured}"
