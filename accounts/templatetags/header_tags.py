"""The site header (partials/header.html), rendered once per process for what it shows.

The header is the same for everyone who shares a language, being signed in or not, being
staff, and the page it marks as current. What differs per person is cut out of the stored
shell and put back on each request: the CSRF token, the email, the balance badge and the
workspace switcher (each of those two is rendered as before, and cached on its own terms).
So the stored shells number a few hundred at most, whoever signs in.
"""

import hashlib
import secrets

from django import template
from django.core.cache import caches
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from accounts.templatetags.teams_tags import workspace_switcher

register = template.Library()

SECONDS = 24 * 3600
# The nav links the header marks as the current page (aria-current): any other path shows
# the same header as "" does.
CURRENT_PATHS = ("/", "/tickets/new/", "/tickets/", "/pricing/", "/account/welcome/")
CURRENT_PREFIXES = ("/teams/", "/dashboard/")
# Stand-ins for what is put back per request; random per process, so no shown text holds one.
_MARK = secrets.token_hex(12)
_CSRF, _EMAIL, _BALANCE, _SWITCHER = (f"{name}-{_MARK}"
                                      for name in ("csrf", "email", "balance", "switcher"))


def _current_path(path: str) -> str:
    if path in CURRENT_PATHS:
        return path
    return next((prefix for prefix in CURRENT_PREFIXES if path.startswith(prefix)), "")


@register.simple_tag(takes_context=True)
def site_header(context) -> str:
    """{% site_header %}: partials/header.html for this request."""
    # A page rendered without a request (none today) gets a signed-out header, as before.
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    email = user.email if signed_in else ""
    current = _current_path(request.path) if request is not None else ""
    shown = (translation.get_language(), signed_in, signed_in and user.is_staff, bool(email),
             current)
    key = "site-header:" + hashlib.sha256(repr(shown).encode()).hexdigest()
    engine = context.template.engine
    shells = caches["fragments"]
    shell = shells.get(key)
    if shell is None:
        with context.push(path=current, csrf_token=_CSRF, header_email=_EMAIL if email else "",
                          balance_html=mark_safe(_BALANCE),  # noqa: S308 - our marks
                          switcher_html=mark_safe(_SWITCHER)):  # noqa: S308
            shell = engine.get_template("partials/header.html").render(context)
        shells.set(key, shell, SECONDS)
    balance = engine.get_template("partials/header_balance.html").render(context)
    switcher = (engine.get_template("teams/partials/workspace_switcher.html")
                .render(context.new(workspace_switcher(context))) if signed_in else "")
    return mark_safe(  # noqa: S308 - our templates; the email is escaped here
        shell.replace(_CSRF, str(context.get("csrf_token", "")))
        .replace(_EMAIL, conditional_escape(email))
        .replace(_BALANCE, balance)
        .replace(_SWITCHER, switcher))
