"""Reads for the daily bonus: whether a user may claim now, their streak, and the staff's
uptake figures."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bonuses.models import DailyBonusClaim

# A streak this long counts as a user who keeps coming back (the staff's retention figure).
RETAINED_STREAK = 3


def user_zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def user_day(user, now: datetime) -> date:
    """The user's calendar day at `now`, in their time zone."""
    return now.astimezone(user_zone(user)).date()


def refusal_reason(user) -> str:
    """Why `user` may not claim at all ("" when they may): the bonus is off, their email is
    not verified, or the growth fraud gates flagged them."""
    if not settings.DAILY_BONUS_ENABLED:
        return _("The daily bonus is turned off.")
    if user.growth_flagged_at is not None:
        return _("The daily bonus is not available on this account. Contact support if you "
                 "think this is a mistake.")
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        return _("Verify your email address to claim the daily bonus.")
    return ""


@dataclass(frozen=True)
class BonusStatus:
    refusal: str
    claimed_today: bool
    streak: int
    tokens: int
    expiry_days: int
    next_claim_at: datetime | None

    @property
    def can_claim(self) -> bool:
        return not self.refusal and not self.claimed_today


def bonus_status(user, *, now: datetime | None = None) -> BonusStatus:
    """What the claim card shows: may they claim, today's or yesterday's streak (0 when it
    broke), and when the next claim opens (the user's next midnight) once claimed today."""
    now = now or timezone.now()
    today = user_day(user, now)
    latest = DailyBonusClaim.objects.filter(user=user).order_by("-day").first()
    claimed_today = latest is not None and latest.day >= today
    streak = latest.streak if latest and latest.day >= today - timedelta(days=1) else 0
    next_claim_at = None
    if claimed_today:
        next_claim_at = datetime.combine(latest.day + timedelta(days=1), time.min,
                                         tzinfo=user_zone(user))
    return BonusStatus(
        refusal=refusal_reason(user), claimed_today=claimed_today, streak=streak,
        tokens=settings.DAILY_BONUS_TOKENS, expiry_days=settings.DAILY_BONUS_EXPIRY_DAYS,
        next_claim_at=next_claim_at)


def daily_bonus_stats(*, start: datetime, end: datetime) -> dict:
    """Claims in [start, end): how many, by how many users, tokens granted, and users whose
    streak reached RETAINED_STREAK days in the range."""
    claims = DailyBonusClaim.objects.filter(claimed_at__gte=start, claimed_at__lt=end)
    totals = claims.aggregate(claims=Count("id"), users=Count("user", distinct=True),
                              tokens=Sum("tokens"))
    retained = claims.filter(streak__gte=RETAINED_STREAK).values("user").distinct().count()
    return {"claims": totals["claims"], "users": totals["users"],
            "tokens": totals["tokens"] or 0, "retained": retained}


def user_bonus_data(user) -> list[dict]:
    """The user's daily-bonus claims, for their data export."""
    return list(DailyBonusClaim.objects.filter(user=user).order_by("day").values(
        "day", "streak", "tokens", "claimed_at"))
