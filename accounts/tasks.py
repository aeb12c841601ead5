"""Accounts' Celery tasks: alert and sign-in emails, and the daily alert checks."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.languages import in_language_of
from accounts.models import BalanceAlert, EmailKind, SignInRecord
from accounts.notifications import services
from accounts.templatetags.accounts_tags import device_label

SUBJECTS = {
    EmailKind.LOW_BALANCE: _("Your MyBA tokens are running low"),
    EmailKind.RUNWAY: _("Your MyBA tokens run out soon"),
    EmailKind.EXPIRY: _("Some of your MyBA tokens expire soon"),
    EmailKind.SECURITY: _("New sign-in to your MyBA account"),
}


def _email_once(model, pk: int, *, kind, template: str, context) -> bool:
    """Send one email about row `pk` of `model` once: `emailed_at` is claimed by a
    conditional update first (a second delivery of the task sends nothing), and given back if
    the send fails (the task retries). `context(row)` -> the template's context, to which the
    unsubscribe link of the email kind is added. Text and HTML, with List-Unsubscribe."""
    claimed = model.objects.filter(pk=pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now())
    row = model.objects.select_related("user").filter(pk=pk).first()
    kind = kind(row) if callable(kind) else kind
    if not claimed or row is None or not services.emails_enabled(row.user, kind):
        return False
    unsubscribe = settings.SITE_URL + reverse(
        "accounts:unsubscribe", args=[services.unsubscribe_token(row.user, kind)])
    with in_language_of(row.user):
        values = {**context(row), "unsubscribe_url": unsubscribe,
                  "site_name": settings.SITE_NAME}
        message = EmailMultiAlternatives(
            subject=str(SUBJECTS[kind]), to=[row.user.email],
            body=render_to_string(f"accounts/email/{template}.txt", values),
            headers={"List-Unsubscribe": f"<{unsubscribe}>"})
        message.attach_alternative(
            render_to_string(f"accounts/email/{template}.html", values), "text/html")
    try:
        message.send()
    except OSError:
        model.objects.filter(pk=pk).update(emailed_at=None)
        raise
    return True


@shared_task(name="accounts.send_alert_email", autoretry_for=(OSError,), retry_backoff=5,
             max_retries=5)
def send_alert_email_task(alert_id: int) -> bool:
    """Email one token alert, once."""
    return _email_once(BalanceAlert, alert_id, kind=lambda alert: alert.kind, template="alert",
                       context=lambda alert: {
                           "alert": alert,
                           "kind_label": alert.get_kind_display(),
                           "usage_url": settings.SITE_URL + reverse("accounts:usage"),
                           "pricing_url": settings.SITE_URL + reverse("billing:pricing"),
                       })


@shared_task(name="accounts.send_sign_in_email", autoretry_for=(OSError,), retry_backoff=5,
             max_retries=5)
def send_sign_in_email_task(record_id: int) -> bool:
    """Email a sign-in from a new browser or device, once."""
    return _email_once(SignInRecord, record_id, kind=EmailKind.SECURITY, template="sign_in",
                       context=lambda record: {
                           "record": record,
                           "browser": device_label(record.user_agent),
                           "when": timezone.localtime(record.created_at),
                           "sessions_url": settings.SITE_URL + reverse("usersessions_list"),
                       })


@shared_task(name="accounts.check_token_alerts", ignore_result=True)
def check_token_alerts_task() -> None:
    """Daily: runways under a week, lots expiring within a week."""
    services.alert_short_runways()
    services.warn_expiring_lots()
