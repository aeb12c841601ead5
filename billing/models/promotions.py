"""Promotions: staff-made promotion codes (a Stripe Coupon + PromotionCode each) and flash sales
of a pack (a sale price and/or bonus tokens between two moments).

Purchases point at the promotion code they redeemed and the sale they were bought in; how
many times a code was redeemed is counted from those purchases.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models.packs import TokenPack
from billing.money import format_money


class PromotionCode(models.Model):
    """A code customers type at checkout, linked to the Stripe Coupon (the discount and what it
    applies to) and Stripe PromotionCode (the code, its expiry, redemption cap and first-time
    rule) it was created with. `test_mode` rows exist only for the local test checkout (no
    Stripe keys) and have no Stripe ids."""

    code = models.CharField(max_length=40, help_text="What customers type (case-insensitive).")
    percent_off = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_off = models.PositiveIntegerField(
        null=True, blank=True, help_text="In the smallest currency unit.")
    currency = models.CharField(max_length=3, blank=True, help_text="Of amount_off.")
    expires_at = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    first_time_only = models.BooleanField(
        default=False, help_text="Only for customers who have never paid before.")
    applies_to_packs = models.BooleanField(default=True)
    applies_to_plans = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    test_mode = models.BooleanField(
        default=False, help_text="Made for the local test checkout: not in Stripe.")
    stripe_coupon_id = models.CharField(max_length=255, blank=True)
    stripe_promotion_code_id = models.CharField(max_length=255, blank=True)
    request_key = models.UUIDField(
        unique=True, editable=False, help_text="The staff form's nonce: one code per submit.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Stripe keeps codes unique among active ones; a retired code can be made again.
            models.UniqueConstraint(fields=["code"], condition=Q(active=True),
                                    name="billing_promo_active_code_unique"),
            models.UniqueConstraint(fields=["stripe_promotion_code_id"],
                                    condition=~Q(stripe_promotion_code_id=""),
                                    name="billing_promo_stripe_id_unique"),
            models.CheckConstraint(
                condition=(Q(percent_off__gte=1, percent_off__lte=100, amount_off__isnull=True))
                | (Q(percent_off__isnull=True, amount_off__gt=0) & ~Q(currency="")),
                name="billing_promo_one_discount",
            ),
            models.CheckConstraint(condition=Q(applies_to_packs=True) | Q(applies_to_plans=True),
                                   name="billing_promo_applies_to_something"),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(max_redemptions__gt=0),
                name="billing_promo_max_redemptions_positive"),
            models.CheckConstraint(
                condition=Q(test_mode=True)
                | (~Q(stripe_coupon_id="") & ~Q(stripe_promotion_code_id="")),
                name="billing_promo_linked_to_stripe"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def discount_label(self) -> str:
        if self.percent_off:
            return _("%(percent)s%% off") % {"percent": self.percent_off}
        return _("%(amount)s off") % {"amount": format_money(self.amount_off, self.currency)}

    @property
    def applies_to_label(self) -> str:
        kinds = [name for on, name in ((self.applies_to_packs, "packs"),
                                       (self.applies_to_plans, "plans")) if on]
        return " and ".join(kinds)

    def discount_on(self, amount: int) -> int:
        """What this code takes off `amount` (smallest unit), as Stripe computes it."""
        if self.percent_off:
            return round(amount * self.percent_off / 100)
        return min(self.amount_off or 0, amount)


class PackSale(models.Model):
    """A flash sale of one pack: a lower price and/or bonus tokens per pack, from `starts_at`
    until `ends_at` (server time). Which sale is on is decided by
    `billing.selectors.get_active_sales(now=...)`; a checkout records the sale it was opened
    in, so it is honoured even if the sale ends while the customer is paying."""

    pack = models.ForeignKey(TokenPack, on_delete=models.CASCADE, related_name="sales")
    name = models.CharField(max_length=80, blank=True, help_text='Shown on the pricing page, '
                            'e.g. "Spring sale".')
    sale_price_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sale price in the smallest unit; empty keeps the price.")
    bonus_tokens = models.PositiveIntegerField(
        default=0, help_text="Extra tokens per pack bought, granted as a separate bonus lot.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="billing_sale_window")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="billing_sale_ends_after_start"),
            models.CheckConstraint(
                condition=Q(sale_price_cents__isnull=True) | Q(sale_price_cents__gt=0),
                name="billing_sale_price_positive"),
            models.CheckConstraint(
                condition=Q(sale_price_cents__isnull=False) | Q(bonus_tokens__gt=0),
                name="billing_sale_offers_something"),
        ]

    def __str__(self) -> str:
        return f"{self.name or 'Sale'} on {self.pack.name}"

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The sale must end after it starts."
        if self.sale_price_cents is None and not self.bonus_tokens:
            errors["sale_price_cents"] = "Give a sale price, bonus tokens, or both."
        pack = TokenPack.objects.filter(pk=self.pack_id).first() if self.pack_id else None
        if pack is not None and self.sale_price_cents is not None and \
                self.sale_price_cents >= pack.price_cents:
            errors["sale_price_cents"] = (
                f"The sale price must be below the pack's price ({pack.price_cents}).")
        if pack is not None and self.starts_at and self.ends_at and not errors:
            overlapping = PackSale.objects.filter(
                pack=pack, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
            ).exclude(pk=self.pk)
            if overlapping.exists():
                errors["starts_at"] = "Another sale of this pack overlaps these dates."
        if errors:
            raise ValidationError(errors)
