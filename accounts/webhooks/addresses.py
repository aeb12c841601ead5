"""Which URLs a webhook may be sent to.

https only, to the public internet: a webhook must not become a way to make our servers call
their own network (SSRF). Plain http, and loopback addresses, are allowed for 127.0.0.1 and
localhost only with DEBUG on or WEBHOOKS_ALLOW_HTTP_LOCALHOST (a local receiver while
developing, the test suite). The URL is checked when set; the addresses its host resolves to
are checked again before every attempt (DNS can change after the URL was saved).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class WebhookError(Exception):
    """A request the webhook rules refuse; `message` is safe to show."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def local_allowed() -> bool:
    return settings.DEBUG or settings.WEBHOOKS_ALLOW_HTTP_LOCALHOST


def validate_webhook_url(url: str) -> str:
    """`url` stripped, or WebhookError saying what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise WebhookError(_("Enter the URL to send events to."))
    if len(url) > MAX_URL_LENGTH:
        raise WebhookError(_("The URL is too long (at most %(max)s characters).")
                           % {"max": MAX_URL_LENGTH})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise WebhookError(_("Enter a full URL, like https://example.com/hooks/myba.")) from None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    local = host in LOCAL_HOSTS
    if parts.scheme != "https" and not (local and local_allowed()):
        raise WebhookError(_("The URL must start with https:// (events carry your tickets)."))
    if local and not local_allowed():
        raise WebhookError(_("Events cannot be sent to this server's own address."))
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    if not _allowed(address):
        raise WebhookError(_("Events can only be sent to a public address."))
    return url


def _allowed(address) -> bool:
    return address.is_global or (address.is_loopback and local_allowed())


def check_destination(url: str) -> str:
    """Why the URL's host may not be called now ("" when it may): it resolves to no
    address, or to a private, loopback or reserved one. Shown on the deliveries page, in the
    active language."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return _("The host name does not resolve.")
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not _allowed(address):
            return _("The host resolves to a non-public address (%(address)s).") % {
                "address": address}
    return ""
