"""What the GitHub and GitLab connect flows share: which workspace and connection they work
for, the `state` that ties a tracker's redirect back to the browser that left, and where
the user goes once the credentials are saved."""

import secrets
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from integrations import selectors
from integrations.models import Connection
from integrations.services.connections import create_connection


def form_may_leave_to(setting: str):
    """Let the page's forms send the browser on to the tracker named by `setting` (a URL).

    The site's CSP allows forms to post only to itself, and Chromium applies `form-action`
    to the redirect that follows a POST too: a connect page whose button POSTs here and is
    redirected to the tracker's sign-in must name the tracker's origin, or the browser stops
    at our redirect."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            parts = urlsplit(getattr(settings, setting))
            if parts.scheme and parts.netloc:
                response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
            return response

        return wrapped

    return decorator


def reconnecting(request: HttpRequest, kind: str) -> Connection | None:
    """The connection of the current workspace named by `?reconnect=` (a broken one whose
    credentials are being replaced), or None; another workspace's, or another kind, is 404."""
    pk = request.GET.get("reconnect") or request.POST.get("reconnect")
    if not pk:
        return None
    if not str(pk).isdigit():
        raise Http404("No such connection.")
    connection = selectors.get_connection_for(request, int(pk))
    if connection.kind != kind:
        raise Http404("No such connection.")
    return connection


def begin(request: HttpRequest, key: str, *, reconnect: Connection | None, **extra) -> str:
    """A new `state` for a redirect to the tracker, kept in the session with what the flow
    needs when the browser comes back; one flow at a time per kind."""
    state = secrets.token_urlsafe(24)
    request.session[key] = {"state": state, "reconnect": reconnect.pk if reconnect else None,
                            **extra}
    return state


def finish(request: HttpRequest, key: str) -> dict | None:
    """What `begin` kept, if the redirect's `state` is the one this browser was given (used
    once: a replayed or forged redirect finds nothing)."""
    kept = request.session.pop(key, None)
    state = request.GET.get("state", "")
    if not kept or not state or not constant_time_compare(state, kept.get("state", "")):
        return None
    return kept


def kept_reconnect(request: HttpRequest, kept: dict) -> Connection | None:
    if not kept.get("reconnect"):
        return None
    return selectors.get_connection_for(request, kept["reconnect"])


def save_and_continue(request: HttpRequest, *, kind: str, reconnect: Connection | None,
                      **credentials):
    """Save the connection (or the reconnected one's new credentials) for the current
    workspace, then send the user to choose where issues go (a reconnected connection that
    has a destination goes back to work at once)."""
    workspace = selectors.workspace_for(request, manage=True)
    connection = create_connection(**workspace, created_by=request.user, kind=kind,
                                   reconnect=reconnect, **credentials)
    if connection.target:
        messages.success(request, _("%(kind)s reconnected: tickets go to %(label)s again.")
                         % {"kind": connection.get_kind_display(), "label": connection.label})
        return redirect("integrations:connections")
    return redirect(reverse("integrations:target", args=[connection.pk]))
