"""Reads for alert banners and email preferences."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import BalanceAlert, EmailKind, EmailOptOut
from config.shared_tables import SharedRows

# A banner older than this has said what it had to say.
BANNER_DAYS = 7


def list_banner_alerts(user) -> list[BalanceAlert]:
    """The alerts to show as banners: not dismissed, from the last BANNER_DAYS, the newest of
    each kind; a low-balance one only while the account is still low. Asked on every page
    where tokens are spent, so a user's open alerts are kept in each process until an alert
    is made or dismissed (`OPEN_ALERTS`)."""
    cutoff = timezone.now() - timedelta(days=BANNER_DAYS)
    account = user.token_account
    shown, kinds = [], set()
    for alert in OPEN_ALERTS.get(user.pk):
        if alert.created_at < cutoff or alert.kind in kinds:
            continue
        if alert.kind == EmailKind.LOW_BALANCE and (account is None or not account.is_low):
            continue
        kinds.add(alert.kind)
        shown.append(alert)
    return shown


def _read_open_alerts(user_id: int) -> list[BalanceAlert]:
    # The newest ten not dismissed, of any age: those within BANNER_DAYS come first, so
    # cutting the older ones at read time gives what a query with the cut-off would.
    return list(BalanceAlert.objects.filter(user_id=user_id, dismissed_at__isnull=True)
                .order_by("-created_at", "-id")[:10])


# Renewed when an alert is saved or deleted (accounts/apps.py) and when one is dismissed
# (a plain update: accounts/notifications/services.py).
OPEN_ALERTS = SharedRows("open-alerts", _read_open_alerts)


def email_preferences(user) -> list[tuple[str, str, bool]]:
    """(kind, label, on) for every email kind."""
    off = set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return [(kind, label, kind not in off) for kind, label in EmailKind.choices]
