"""Writes for alerts and email preferences (see the package docstring)."""

import logging
import uuid
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import number_format
from django.utils.translation import ngettext

from accounts.languages import in_language_of
from accounts.models import BalanceAlert, EmailKind, EmailOptOut, User
from accounts.notifications.selectors import OPEN_ALERTS
from tokens.models import EntryKind, LedgerEntry, Lot
from tokens.selectors.usage import forecast_runway

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "accounts.notifications.unsubscribe"
RUNWAY_ALERT_DAYS = 7
EXPIRY_WARNING_DAYS = 7


def emails_enabled(user: User, kind: str) -> bool:
    """Whether `user` gets emails of `kind`: an active user who has not turned it off."""
    return user.is_active and bool(user.email) and not EmailOptOut.objects.filter(
        user=user, kind=kind).exists()


def set_email_preferences(*, user: User, enabled: set[str]) -> None:
    """Turn on the email kinds in `enabled` and off every other one. Writes EmailOptOut rows
    (one per kind turned off; the unique constraint keeps one)."""
    with transaction.atomic():
        EmailOptOut.objects.filter(user=user, kind__in=enabled).delete()
        for kind in set(EmailKind.values) - enabled:
            EmailOptOut.objects.get_or_create(user=user, kind=kind)


def unsubscribe_token(user: User, kind: str) -> str:
    """The signed token of an email's "turn these off" link (works without signing in)."""
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The user and kind a token names; raises signing.BadSignature for anything else."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or data.get("k") not in EmailKind.values:
        raise signing.BadSignature("unknown user or kind")
    return user, data["k"]


def raise_alert(*, user: User, kind: str, key: str, message: str) -> BalanceAlert | None:
    """Record one alert and, after the commit, email it (unless the user turned `kind` off).

    Writes one BalanceAlert; its unique `key` makes a repeat of the same event (a second run
    of a beat task, a redelivered message) write and send nothing: returns None then.
    """
    try:
        with transaction.atomic():
            alert = BalanceAlert.objects.create(user=user, kind=kind, key=key,
                                                message=message[:300])
    except IntegrityError:
        return None
    if emails_enabled(user, kind):
        from accounts.tasks import send_alert_email_task

        transaction.on_commit(lambda: send_alert_email_task.delay(alert.pk))
    return alert


def dismiss_alert(*, user: User, alert_id: int) -> bool:
    """Hide one of the user's alert banners; False when there is no such open alert."""
    dismissed = (BalanceAlert.objects.filter(pk=alert_id, user=user, dismissed_at__isnull=True)
                 .update(dismissed_at=timezone.now()))
    if dismissed:
        OPEN_ALERTS.renew()  # a plain update sends no signal
    return bool(dismissed)


def _owner(account_id: int) -> User | None:
    return User.objects.filter(token_account_id=account_id, is_active=True).first()


def alert_low_balance(*, account_id: int, available: int, threshold: int) -> BalanceAlert | None:
    """The receiver of `tokens.signals.available_fell_below_threshold` (sent once per crossing,
    after the commit): one alert for a user's account; nothing for a visitor's."""
    user = _owner(account_id)
    if user is None:
        return None
    with in_language_of(user):  # stored and emailed in their language
        message = ngettext(
            "You have %(available)s token left, fewer than your alert level of %(threshold)s.",
            "You have %(available)s tokens left, fewer than your alert level of %(threshold)s.",
            available) % {"available": available, "threshold": threshold}
    return raise_alert(
        user=user, kind=EmailKind.LOW_BALANCE, key=f"low_balance:{account_id}:{uuid.uuid4()}",
        message=message)


def alert_short_runways(*, now: datetime | None = None) -> int:
    """For every user who spent in the last 30 days and whose tokens last under
    RUNWAY_ALERT_DAYS at that pace, one alert per calendar week at most. Run daily by beat;
    returns how many alerts it raised."""
    now = now or timezone.now()
    accounts = (LedgerEntry.objects.filter(kind=EntryKind.SPEND,
                                           created_at__gte=now - timedelta(days=30))
                .values_list("account_id", flat=True).distinct().order_by())
    raised = 0
    year, week, _ = timezone.localtime(now).isocalendar()
    for user in User.objects.filter(token_account_id__in=accounts, is_active=True) \
            .select_related("token_account"):
        forecast = forecast_runway(user.token_account, now=now)
        if forecast.status != "enough" or forecast.days >= RUNWAY_ALERT_DAYS:
            continue
        days = max(int(forecast.days), 0)
        with in_language_of(user):  # stored and emailed in their language
            message = ngettext(
                "At your pace (≈ %(per_day)s tokens a day) your %(available)s tokens run out "
                "in about %(days)s day.",
                "At your pace (≈ %(per_day)s tokens a day) your %(available)s tokens run out "
                "in about %(days)s days.",
                days) % {"per_day": number_format(forecast.per_day, 1),
                         "available": forecast.available, "days": days}
        raised += raise_alert(
            user=user, kind=EmailKind.RUNWAY, key=f"runway:{user.pk}:{year}-W{week:02d}",
            message=message) is not None
    return raised


def warn_expiring_lots(*, now: datetime | None = None) -> int:
    """For every user's lot with tokens left that expires within EXPIRY_WARNING_DAYS, one
    alert (once per lot, however often this runs). Run daily by beat; returns how many."""
    now = now or timezone.now()
    lots = (Lot.objects.filter(remaining__gte=1, expires_at__gt=now,
                               expires_at__lte=now + timedelta(days=EXPIRY_WARNING_DAYS))
            .values_list("pk", "account_id", "remaining", "expires_at"))
    owners = {user.token_account_id: user for user in User.objects.filter(
        token_account_id__in={account for _, account, _, _ in lots}, is_active=True)}
    raised = 0
    for lot_id, account_id, remaining, expires_at in lots:
        user = owners.get(account_id)
        if user is None:
            continue
        with in_language_of(user):  # stored and emailed in their language
            message = ngettext(
                "%(count)s token expires on %(date)s: use them before then.",
                "%(count)s tokens expire on %(date)s: use them before then.",
                remaining) % {"count": remaining,
                              "date": format_date(timezone.localtime(expires_at), "j M Y")}
        raised += raise_alert(
            user=user, kind=EmailKind.EXPIRY, key=f"expiry:lot:{lot_id}", message=message,
        ) is not None
    return raised
