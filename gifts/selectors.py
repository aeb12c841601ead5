"""Reads for gifts: whether a user may send one, both sides' history, the staff figures."""

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gifts.models import Gift

DAY = timedelta(days=1)


def sending_refusal(user, *, now: datetime) -> str:
    """Why `user` may not send gifts at all ("" when they may)."""
    if user.growth_flagged_at is not None:
        return _("Gifts are not available on this account. Contact support if you think "
                 "this is a mistake.")
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        return _("Verify your email address to send gifts.")
    min_age = timedelta(days=settings.GIFT_MIN_ACCOUNT_AGE_DAYS)
    if user.date_joined > now - min_age:
        days = settings.GIFT_MIN_ACCOUNT_AGE_DAYS
        return ngettext("You can send gifts once your account is %(days)s day old.",
                        "You can send gifts once your account is %(days)s days old.",
                        days) % {"days": days}
    return ""


def sent_in_last_day(user, *, now: datetime) -> int:
    return Gift.objects.filter(sender=user, created_at__gt=now - DAY).count()


def verified_owner(email: str):
    """The active user whose verified address `email` is, or None."""
    address = EmailAddress.objects.filter(email__iexact=email, verified=True,
                                          user__is_active=True).select_related("user").first()
    return address.user if address else None


def list_sent(user) -> QuerySet[Gift]:
    return Gift.objects.filter(sender=user).select_related("recipient")


def list_received(user) -> QuerySet[Gift]:
    return Gift.objects.filter(recipient=user, status=Gift.Status.DELIVERED).select_related(
        "sender")


def waiting_for(email: str) -> QuerySet[Gift]:
    return Gift.objects.filter(recipient_email=email.strip().lower(),
                               status=Gift.Status.WAITING)


def gift_stats(*, start: datetime, end: datetime) -> dict:
    """Gifts sent in [start, end): how many, tokens, and how many of them were delivered,
    returned or are still waiting."""
    gifts = Gift.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = gifts.aggregate(
        sent=Count("id"), tokens=Sum("tokens"),
        delivered=Count("id", filter=Q(status=Gift.Status.DELIVERED)),
        returned=Count("id", filter=Q(status=Gift.Status.RETURNED)),
        waiting=Count("id", filter=Q(status=Gift.Status.WAITING)))
    totals["tokens"] = totals["tokens"] or 0
    return totals


def user_gift_data(user) -> dict:
    """The gifts the user sent and received, for their data export."""
    fields = ("created_at", "tokens", "message", "status", "delivered_at", "returned_at")
    return {
        "sent": list(list_sent(user).values("recipient_email", *fields)),
        "received": list(list_received(user).values("sender__email", *fields)),
    }
