"""Referrals: a user's link, who signed up through it, and what each sign-up earned.

Every reward is a granted lot in the ledger with its own key (`referral:<id>:referee`,
`referral:<id>:referrer`, `referral-tier:<user>:<month>:<n>`), so nothing is granted twice.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy, pgettext_lazy


def new_code() -> str:
    """Short and unguessable: 8 characters from 48 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(6)


class ReferralProfile(models.Model):
    """A user's current referral code (a new one retires the old) and leaderboard choice."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="referral_profile")
    code = models.CharField(max_length=16, unique=True, default=new_code)
    on_leaderboard = models.BooleanField(default=False)
    display_name = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.code})"


class ReferralOpen(models.Model):
    """A referral link opened (once per browser session): the funnel's first step."""

    profile = models.ForeignKey(ReferralProfile, on_delete=models.CASCADE, related_name="opens")
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.profile.code} opened {self.opened_at:%Y-%m-%d %H:%M}"


class Referral(models.Model):
    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", gettext_lazy("Signed up")
        QUALIFIED = "qualified", pgettext_lazy("referral status", "Qualified")
        REWARDED = "rewarded", pgettext_lazy("referral status", "Rewarded")
        HELD = "held", gettext_lazy("Held for review")
        REFUSED = "refused", pgettext_lazy("referral status", "Refused")

    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="referrals_made")
    referee = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="referral")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True, help_text="In plain words.")
    referee_entry = models.ForeignKey("tokens.LedgerEntry", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    referrer_entry = models.ForeignKey("tokens.LedgerEntry", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    qualifying_purchase_id = models.BigIntegerField(null=True, blank=True)
    tokens_clawed_back = models.PositiveIntegerField(default=0)
    clawed_back_at = models.DateTimeField(
        null=True, blank=True, help_text="The qualifying purchase was refunded: the reward's "
                                         "remainder was taken back.")
    created_at = models.DateTimeField(auto_now_add=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=models.F("referee")),
                                   name="referrals_not_self"),
            models.CheckConstraint(
                condition=~Q(status="rewarded") | Q(referrer_entry__isnull=False,
                                                    rewarded_at__isnull=False),
                name="referrals_rewarded_has_entry"),
        ]
        indexes = [models.Index(fields=["referrer", "rewarded_at"])]

    def __str__(self) -> str:
        return f"{self.referrer} referred {self.referee} ({self.status})"
