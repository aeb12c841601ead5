"""Sets the signed cookies a request decided on: the visitor's, and the device's at sign-in."""

from django.conf import settings

from accounts.notifications.sign_ins import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    DEVICE_COOKIE_SALT,
    NEW_DEVICE_ATTR,
)
from accounts.selectors import (
    NEW_VISITOR_ATTR,
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
        if visitor is not None:
            response.set_signed_cookie(
                visitor_cookie_name(),
                str(visitor.public_id),
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
