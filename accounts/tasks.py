"""Accounts' Celery tasks: alert and sign-in emails, and the daily alert checks."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import BalanceAlert, SignInRecord
from accounts.notifications import services
from accounts.templatetags.accounts_tags import device_label

SUBJECTS = {
    "low_balance": "Your MyBA tokens are running low",
    "runway": "Your MyBA tokens run out soon",
    "expiry": "Some of your MyBA tokens expire soon",
}


@shared_task(name="accounts.send_alert_email", autoretry_for=(OSError,), retry_backoff=5,
             max_retries=5)
def send_alert_email_task(alert_id: int) -> bool:
    """Email one alert, once: `emailed_at` is set by a conditional update first, so a second
    delivery of this task sends nothing; a failed send clears it again and retries."""
    claimed = BalanceAlert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now())
    alert = BalanceAlert.objects.select_related("user").filter(pk=alert_id).first()
    if not claimed or alert is None or not services.emails_enabled(alert.user, alert.kind):
        return False
    context = {
        "alert": alert,
        "usage_url": settings.SITE_URL + reverse("accounts:usage"),
        "pricing_url": settings.SITE_URL + reverse("billing:pricing"),
        "unsubscribe_url": settings.SITE_URL + reverse(
            "accounts:unsubscribe", args=[services.unsubscribe_token(alert.user, alert.kind)]),
        "kind_label": alert.get_kind_display(),
        "site_name": settings.SITE_NAME,
    }
    message = EmailMultiAlternatives(
        subject=SUBJECTS[alert.kind],
        body=render_to_string("accounts/email/alert.txt", context),
        to=[alert.user.email],
        headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
    )
    message.attach_alternative(render_to_string("accounts/email/alert.html", context),
                               "text/html")
    try:
        message.send()
    except OSError:
        BalanceAlert.objects.filter(pk=alert_id).update(emailed_at=None)
        raise
    return True


@shared_task(name="accounts.check_token_alerts", ignore_result=True)
def check_token_alerts_task() -> None:
    """Daily: runways under a week, lots expiring within a week."""
    services.alert_short_runways()
    services.warn_expiring_lots()



@shared_task(name="accounts.send_sign_in_email", autoretry_for=(OSError,), retry_backoff=5,
             max_retries=5)
def send_sign_in_email_task(record_id: int) -> bool:
    """Email a sign-in from a new browser or device, once (conditional `emailed_at`)."""
    claimed = SignInRecord.objects.filter(pk=record_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now())
    record = SignInRecord.objects.select_related("user").filter(pk=record_id).first()
    if not claimed or record is None or not services.emails_enabled(record.user, "security"):
        return False
    context = {
        "record": record,
        "browser": device_label(record.user_agent),
        "when": timezone.localtime(record.created_at),
        "sessions_url": settings.SITE_URL + reverse("usersessions_list"),
        "unsubscribe_url": settings.SITE_URL + reverse(
            "accounts:unsubscribe", args=[services.unsubscribe_token(record.user, "security")]),
        "site_name": settings.SITE_NAME,
    }
    message = EmailMultiAlternatives(
        subject="New sign-in to your MyBA account",
        body=render_to_string("accounts/email/sign_in.txt", context),
        to=[record.user.email],
        headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
    )
    message.attach_alternative(render_to_string("accounts/email/sign_in.html", context),
                               "text/html")
    try:
        message.send()
    except OSError:
        SignInRecord.objects.filter(pk=record_id).update(emailed_at=None)
        raise
    return True
