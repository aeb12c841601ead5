"""Reads for alert banners and email preferences."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import BalanceAlert, EmailKind, EmailOptOut

# A banner older than this has said what it had to say.
BANNER_DAYS = 7


def list_banner_alerts(user) -> list[BalanceAlert]:
    """The alerts to show as banners: not dismissed, from the last BANNER_DAYS, the newest of
    each kind; a low-balance one only while the account is still low (one query)."""
    recent = (BalanceAlert.objects
              .filter(user=user, dismissed_at__isnull=True,
                      created_at__gte=timezone.now() - timedelta(days=BANNER_DAYS))
              .order_by("-created_at", "-id")[:10])
    account = user.token_account
    shown, kinds = [], set()
    for alert in recent:
        if alert.kind in kinds:
            continue
        if alert.kind == EmailKind.LOW_BALANCE and (account is None or not account.is_low):
            continue
        kinds.add(alert.kind)
        shown.append(alert)
    return shown


def email_preferences(user) -> list[tuple[str, str, bool]]:
    """(kind, label, on) for every email kind."""
    off = set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return [(kind, label, kind not in off) for kind, label in EmailKind.choices]
