"""Automatic top-up: buy a pack with the saved card when the balance runs low."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.models.packs import TokenPack

# Automatic top-up buys at most once in this long (counted from each attempt, paid or not).
AUTO_TOP_UP_INTERVAL = timedelta(hours=24)


class AutoTopUp(models.Model):
    """A user's automatic top-up: when their available tokens fall below their low-balance
    level, buy `pack` with the saved card, at most once per AUTO_TOP_UP_INTERVAL (enforced by
    a conditional update of `last_attempt_at`). Off until the user turns it on; a failed
    charge turns it off again (`last_failure` says why, and is emailed once:
    `failure_emailed_at` is claimed by a conditional update before sending)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="auto_top_up")
    enabled = models.BooleanField(default=False)
    pack = models.ForeignKey(TokenPack, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    card_label = models.CharField(max_length=80, blank=True)
    test_mode = models.BooleanField(
        default=False, help_text="A simulated card from the local test mode: nothing charged.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.CharField(
        max_length=300, blank=True, help_text="Why it last failed and turned itself off.")
    last_failure_at = models.DateTimeField(null=True, blank=True)
    failure_emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="The last failure was emailed (claimed) at.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=False)
                | (~Q(payment_method_id="") & Q(pack__isnull=False)),
                name="billing_auto_top_up_needs_card_and_pack",
            ),
        ]

    def __str__(self) -> str:
        return f"auto top-up for {self.user} ({'on' if self.enabled else 'off'})"
