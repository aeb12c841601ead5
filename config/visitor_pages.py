"""Pages kept whole in each process's memory for visitors who bring nothing of their own.

Most visitors of the home and pricing pages are new: no session, no messages, no query
string. For them such a page is a function of a few values (the language, where the browser
stands with tokens, what the page itself shows: prices, packs, plans) plus the CSRF token,
which must be fresh per browser. It is rendered once per combination, stored with the token
cut out, and served with this request's token put back. Anyone else (signed in, holding a
session or a message, a query string) gets the page rendered as usual. Django's cache_page
cannot do this: it keys on the URL and headers only and would hand every visitor the same
CSRF token and balance.
"""

import hashlib
import pickle
import secrets
from collections.abc import Callable, Iterable

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from accounts.selectors import get_header_balance

SECONDS = 3600
# Stands in for the CSRF token in a stored page; random per process, so no page can contain it.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"


def _is_plain_visit(request: HttpRequest) -> bool:
    return (request.method in ("GET", "HEAD") and not request.GET
            and not request.user.is_authenticated and not len(get_messages(request)))


def _page_key(request: HttpRequest, template: str, shows: Callable[[], Iterable]) -> str:
    # The standing first: its network count comes with the tables' versions, in the round
    # trip the shown prices would otherwise make on their own (config/shared_tables.py).
    standing = get_header_balance(request)
    shown = pickle.dumps((template, translation.get_language(), standing,
                          timezone.now().year, *shows()))
    return "visitor-page:" + hashlib.sha256(shown).hexdigest()


def render_for_visitors(request: HttpRequest, template: str, context: dict | None = None, *,
                        shows: Callable[[], Iterable] = tuple) -> HttpResponse:
    """`render(request, template, context)`, kept whole for plain visits. `shows` returns
    every value the page shows that can change (prices, packs, settings) beyond the language,
    the browser's token standing and the year; a visit with different values gets a page of
    its own, so a change shows from the next visit on."""
    if not _is_plain_visit(request):
        return render(request, template, context)
    pages = caches["fragments"]
    key = _page_key(request, template, shows)
    token = get_token(request)
    page = pages.get(key)
    if page is None:
        response = render(request, template, {**(context or {}), "csrf_token": token})
        pages.set(key, response.content.decode().replace(token, _TOKEN_MARK), SECONDS)
    else:
        response = HttpResponse(page.replace(_TOKEN_MARK, token))
    # The header's balance comes from the visitor's cookie.
    patch_vary_headers(response, ("Cookie",))
    return response
