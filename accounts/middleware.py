"""Sets the signed cookies a request decided on (the visitor's, and the device's at sign-in),
and tracks session activity for the sessions page without a write per request."""

import hashlib
import time

from allauth.account.adapter import get_adapter
from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.cache import cache

from accounts.notifications.sign_ins import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    DEVICE_COOKIE_SALT,
    NEW_DEVICE_ATTR,
)
from accounts.selectors import (
    NEW_VISITOR_ATTR,
    NEW_VISITOR_ID_ATTR,
    VISITOR_COOKIE_MAX_AGE,
    VISITOR_COOKIE_SALT,
    visitor_cookie_name,
)


class VisitorCookieMiddleware:
    """Remembers a new visitor by its public id in a signed cookie (the tokens stay in the
    ledger; a tampered or forged cookie fails the signature check and is ignored)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        visitor = getattr(request, NEW_VISITOR_ATTR, None)
        public_id = visitor.public_id if visitor is not None else getattr(
            request, NEW_VISITOR_ID_ATTR, None)
        if public_id is not None:
            response.set_signed_cookie(
                visitor_cookie_name(),
                str(public_id),
                salt=VISITOR_COOKIE_SALT,
                max_age=VISITOR_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        device = getattr(request, NEW_DEVICE_ATTR, None)
        if device is not None:
            response.set_signed_cookie(
                DEVICE_COOKIE, device, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE,
                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response


class ThrottledUserSessionsMiddleware:
    """allauth's session activity tracking (the sessions page's "last seen", IP and browser)
    without a database write on every signed-in request: at most one per session, IP address
    and browser every USERSESSIONS_TRACK_SECONDS (a new IP or browser is recorded at once).
    Replaces allauth's UserSessionsMiddleware, which writes on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (usersessions_settings.TRACK_ACTIVITY and hasattr(request, "session")
                and request.session.session_key and request.user.is_authenticated
                and self._due(request)):
            UserSession.objects.create_from_request(request)
        return self.get_response(request)

    # When each session/IP/browser recorded here or by another process is next due, so that
    # a request within the window does not ask the cache again (a round trip per page).
    _next_due: dict[str, float] = {}

    @classmethod
    def _due(cls, request) -> bool:
        client = f"{get_adapter().get_client_ip(request)}|{request.META.get('HTTP_USER_AGENT', '')}"
        key = "usersession-seen:" + hashlib.sha256(
            f"{request.session.session_key}|{client}".encode()).hexdigest()
        now = time.time()
        if cls._next_due.get(key, 0) > now:
            return False
        if len(cls._next_due) > 10_000:
            cls._next_due.clear()
        seconds = settings.USERSESSIONS_TRACK_SECONDS
        try:
            # The cache gates the processes: the one whose add succeeds writes.
            if cache.add(key, now + seconds, timeout=seconds):
                cls._next_due[key] = now + seconds
                return True
            cls._next_due[key] = cache.get(key) or now
        except Exception:  # the cache is down: track as allauth would
            return True
        return False
