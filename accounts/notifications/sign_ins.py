"""Security alerts: every sign-in recorded, and an email when it is from a browser or device
the user has not signed in from before (a long-lived signed cookie names the browser)."""

import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from accounts.models import EmailKind, SignInRecord, User
from accounts.network import get_client_ip
from accounts.notifications.services import emails_enabled

DEVICE_COOKIE = "myba_device"
DEVICE_COOKIE_SALT = "accounts.device"
DEVICE_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
# Set on the request when a sign-in named a new device: the middleware stores the cookie.
NEW_DEVICE_ATTR = "_myba_new_device_id"
HISTORY_LENGTH = 20


def device_id(request: HttpRequest) -> str:
    """This browser's device id: from its signed cookie, or a new one (then remembered by
    the middleware on the response)."""
    known = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT,
                                      max_age=DEVICE_COOKIE_MAX_AGE)
    if known:
        return known
    fresh = getattr(request, NEW_DEVICE_ATTR, None) or secrets.token_urlsafe(18)
    setattr(request, NEW_DEVICE_ATTR, fresh)
    return fresh


def _device_hash(user: User, device: str) -> str:
    return salted_hmac("accounts.sign-in-device", f"{user.pk}:{device}",
                       algorithm="sha256").hexdigest()


def record_sign_in(*, user: User, request: HttpRequest) -> SignInRecord:
    """Write one SignInRecord; when it is from a device new to this user (not their first
    sign-in ever), email them after the commit unless they turned security emails off."""
    device = _device_hash(user, device_id(request))
    with transaction.atomic():
        seen_before = SignInRecord.objects.filter(user=user)
        new_device = seen_before.exists() and not seen_before.filter(device=device).exists()
        record = SignInRecord.objects.create(
            user=user, device=device, new_device=new_device,
            ip=get_client_ip(request) or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])
    if new_device and emails_enabled(user, EmailKind.SECURITY):
        from accounts.tasks import send_sign_in_email_task

        transaction.on_commit(lambda: send_sign_in_email_task.delay(record.pk))
    return record


def list_sign_ins(user: User) -> list[SignInRecord]:
    return list(SignInRecord.objects.filter(user=user)[:HISTORY_LENGTH])


def signed_in_from_this_browser(user: User, request: HttpRequest) -> bool:
    """True when `user` has signed in from the browser making `request` (its device cookie)."""
    known = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT,
                                      max_age=DEVICE_COOKIE_MAX_AGE)
    return bool(known) and SignInRecord.objects.filter(
        user=user, device=_device_hash(user, known)).exists()
