"""Reads for referrals: a user's page, the monthly leaderboard and the staff's funnel."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from config.shared_tables import SharedRows
from referrals.models import Referral, ReferralOpen, ReferralProfile
from tokens.models import EntryKind, LedgerEntry

Status = Referral.Status
QUALIFIED = (Status.QUALIFIED, Status.REWARDED)


def awaits_qualification(user_id: int) -> bool:
    """Whether the user was referred and has not qualified yet. Every finished ticket asks,
    and most users were not referred: kept in each process until a referral changes."""
    return AWAITING.get(user_id)


def _read_awaiting(user_id: int) -> bool:
    return Referral.objects.filter(referee_id=user_id, status=Status.SIGNED_UP).exists()


# Renewed when a referral is saved or deleted (referrals/apps.py): every change of a
# referral's status is a save.
AWAITING = SharedRows("referrals-awaiting", _read_awaiting)


def referrals_made(user) -> QuerySet[Referral]:
    return Referral.objects.filter(referrer=user).select_related("referee")


def tokens_earned(user) -> int:
    """Rewards and tier bonuses credited to `user` as a referrer (not their own sign-up bonus)."""
    if user.token_account_id is None:
        return 0
    rewards = LedgerEntry.objects.filter(
        account_id=user.token_account_id, kind=EntryKind.REFERRAL).filter(
        Q(idempotency_key__endswith=":referrer") | Q(idempotency_key__startswith="referral-tier:"))
    return rewards.aggregate(total=Sum("amount"))["total"] or 0


def leaderboard(*, since: datetime, limit: int = 10) -> list[dict]:
    """The opted-in referrers with the most referrals qualified since `since`."""
    rows = (Referral.objects.filter(status__in=QUALIFIED, qualified_at__gte=since,
                                    referrer__referral_profile__on_leaderboard=True)
            .values("referrer", "referrer__referral_profile__display_name")
            .annotate(qualified=Count("id")).order_by("-qualified", "referrer")[:limit])
    return [{"name": row["referrer__referral_profile__display_name"] or _("anonymous"),
             "qualified": row["qualified"], "user_id": row["referrer"]} for row in rows]


def funnel(*, start: datetime, end: datetime) -> dict:
    """Links opened → sign-ups → qualified → rewarded, each counted in [start, end)."""
    made = Referral.objects.filter(created_at__gte=start, created_at__lt=end)
    return {
        "opened": ReferralOpen.objects.filter(opened_at__gte=start, opened_at__lt=end).count(),
        "signed_up": made.count(),
        "qualified": Referral.objects.filter(qualified_at__gte=start, qualified_at__lt=end,
                                             status__in=QUALIFIED).count(),
        "rewarded": Referral.objects.filter(rewarded_at__gte=start, rewarded_at__lt=end,
                                            status=Status.REWARDED).count(),
        "held": made.filter(status=Status.HELD).count(),
        "refused": made.filter(status=Status.REFUSED).count(),
    }


def top_referrers(*, start: datetime, end: datetime, limit: int = 10) -> list[dict]:
    return list(Referral.objects.filter(created_at__gte=start, created_at__lt=end)
                .values("referrer", "referrer__email")
                .annotate(signed_up=Count("id"),
                          rewarded=Count("id", filter=Q(status=Status.REWARDED)))
                .order_by("-rewarded", "-signed_up", "referrer")[:limit])


def held_referrals() -> QuerySet[Referral]:
    return Referral.objects.filter(status=Status.HELD).select_related(
        "referrer", "referee").order_by("created_at")


def get_profile_by_code(code: str) -> ReferralProfile | None:
    return ReferralProfile.objects.filter(code=code).first()


def user_referral_data(user) -> dict:
    """The user's referral code, the people they referred and how they were referred."""
    profile = ReferralProfile.objects.filter(user=user).first()
    made = referrals_made(user).values("referee__email", "status", "reason", "created_at",
                                       "qualified_at", "rewarded_at")
    joined = Referral.objects.filter(referee=user).values("referrer__email", "status",
                                                          "created_at").first()
    return {"code": profile.code if profile else None,
            "on_leaderboard": profile.on_leaderboard if profile else False,
            "display_name": profile.display_name if profile else "",
            "referred": list(made), "referred_by": joined}
