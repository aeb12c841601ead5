"""The daily bonus: a few tokens a signed-in user claims once per calendar day (their own)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class DailyBonusClaim(models.Model):
    """One claim: the user's day (in their time zone when claimed), the streak of consecutive
    days it ends, and the lot it granted (key `daily:<user>:<day>`). One per user and day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="daily_bonus_claims")
    day = models.DateField(help_text="The user's calendar day, in their time zone.")
    streak = models.PositiveIntegerField(help_text="Consecutive days claimed, ending this one.")
    tokens = models.PositiveIntegerField()
    lot_entry = models.OneToOneField("tokens.LedgerEntry", on_delete=models.PROTECT,
                                     related_name="daily_bonus_claim")
    claimed_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="bonuses_one_claim_per_day"),
            models.CheckConstraint(condition=Q(streak__gte=1), name="bonuses_streak_positive"),
        ]
        indexes = [models.Index(fields=["claimed_at"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.day} (day {self.streak})"
