"""Claiming the daily bonus."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import get_or_open_user_account
from bonuses import selectors
from bonuses.models import DailyBonusClaim
from tokens.models import EntryKind, TokenAccount
from tokens.services import grant_tokens


class BonusRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def claim_daily_bonus(*, user, now: datetime | None = None) -> DailyBonusClaim:
    """Grant today's bonus to `user`: DAILY_BONUS_TOKENS as a granted lot of kind
    `daily_bonus` that expires DAILY_BONUS_EXPIRY_DAYS later (key `daily:<user>:<day>`), and
    the claim row with its streak.

    Locks the user's token account first, so two tabs claiming at once queue and the second
    finds today's claim. Guarantees: one claim per user and calendar day in their time zone
    (also a unique constraint), and days only move forward — a time zone moved back cannot
    claim a day again. Raises BonusRefused with the reason to show.
    """
    now = now or timezone.now()
    reason = selectors.refusal_reason(user)
    if reason:
        raise BonusRefused(reason)
    day = selectors.user_day(user, now)
    account = get_or_open_user_account(user=user)
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
        latest = DailyBonusClaim.objects.filter(user=user).order_by("-day").first()
        if latest is not None and latest.day >= day:
            raise BonusRefused(_("You have already claimed today's bonus. Come back tomorrow."))
        streak = latest.streak + 1 if latest and latest.day == day - timedelta(days=1) else 1
        key = f"daily:{user.pk}:{day.isoformat()}"
        entry = grant_tokens(
            account=account, amount=settings.DAILY_BONUS_TOKENS, kind=EntryKind.DAILY_BONUS,
            idempotency_key=key, reference=key,
            expires_at=now + timedelta(days=settings.DAILY_BONUS_EXPIRY_DAYS),
            memo=f"Daily bonus, day {streak} in a row")
        return DailyBonusClaim.objects.create(
            user=user, day=day, streak=streak, tokens=settings.DAILY_BONUS_TOKENS,
            lot_entry=entry, claimed_at=now)
