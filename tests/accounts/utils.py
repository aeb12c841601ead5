"""Helpers for the accounts tests: requests from a given network, visitor cookies."""

import re

from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.signing import get_cookie_signer
from django.test import RequestFactory

from accounts.selectors import VISITOR_COOKIE_SALT, visitor_cookie_name
from tokens.models import TokenAccount

PASSWORD = "correct-horse-battery-staple"


def signed_visitor_cookie(public_id) -> str:
    """The cookie value our middleware would set for this visitor id."""
    name = visitor_cookie_name()
    return get_cookie_signer(salt=name + VISITOR_COOKIE_SALT).sign(str(public_id))


def make_request(*, ip="203.0.113.7", visitor=None, cookie_value=None, user=None, **meta):
    """A GET request from `ip`, carrying a visitor's signed cookie when given."""
    request = RequestFactory().get("/", REMOTE_ADDR=ip, **meta)
    if visitor is not None:
        cookie_value = signed_visitor_cookie(visitor.public_id)
    if cookie_value is not None:
        request.COOKIES[visitor_cookie_name()] = cookie_value
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def balance_of(account) -> int:
    return TokenAccount.objects.get(pk=account.pk).balance


def confirmation_path() -> str:
    """The email-confirmation link from the last message in the test mailbox."""
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", body)
    assert match, body
    return match.group(1)


def sign_up(client, email, password=PASSWORD, **extra):
    """Sign up and confirm the email through allauth's real views; returns the final response."""
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": password, "password2": password},
        **extra,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    path = confirmation_path()
    return client.post(path, follow=True, **extra)


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(
        "/accounts/login/", {"login": email, "password": password}, follow=True, **extra
    )


def reauthenticate(client, password=PASSWORD):
    """allauth asks for the password again before sensitive changes (MFA, deleting)."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response
