"""Connecting Jira Cloud through Atlassian's OAuth 2.0 (3LO).

`jira_connect` explains and starts (a POST: the state goes into the session), Atlassian asks
the user, `jira_callback` checks the state, trades the code for tokens and lists the Jira sites
the grant reaches: one site connects at once, several go to `jira_site` to pick one. Each ends
in `create_connection` (or a reconnect of a broken connection, on its own site) and the page
that chooses the project and issue type. Until the connection is made, nothing is written but
the session (tokens in it are encrypted).
"""

import json
import secrets
from datetime import datetime

import requests
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.encryption import decrypt, encrypt
from integrations import selectors
from integrations.connect.flow import form_may_leave_to
from integrations.models import Connection, Kind
from integrations.services.connections import create_connection
from integrations.trackers.base import Grant, TrackerError
from integrations.trackers.jira import oauth

# The flow under way: {"state", "workspace", "reconnect"} until the callback; then the grant
# and the sites while the user picks one.
STARTED = "integrations_jira_started"
PICKING = "integrations_jira_picking"


def _workspace_key(workspace: dict) -> str:
    team = workspace.get("organization")
    return f"team:{team.pk}" if team is not None else f"user:{workspace['owner'].pk}"


def _reconnecting(request, value) -> Connection | None:
    """The broken Jira connection of this workspace being reconnected (404 for any other)."""
    if not value:
        return None
    if not str(value).isdigit():
        raise Http404("No such connection.")
    connection = selectors.get_connection_for(request, int(value))
    if connection.kind != Kind.JIRA:
        raise Http404("No such connection.")
    return connection


def _redirect_uri(request) -> str:
    """Where Atlassian sends the user back (registered as the app's callback URL)."""
    return request.build_absolute_uri(reverse("integrations:jira_callback"))


def _problem(request, message: str, *, status: int = 400):
    """The flow stopped: say why, nothing was connected."""
    return render(request, "integrations/jira_connect.html", {
        "configured": oauth.configured(), "error": message}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@form_may_leave_to("ATLASSIAN_AUTH_URL")
def connect(request):
    workspace = selectors.workspace_for(request, manage=True)
    reconnect = _reconnecting(request, request.POST.get("reconnect")
                              or request.GET.get("reconnect"))
    if request.method == "GET":
        return render(request, "integrations/jira_connect.html", {
            "configured": oauth.configured(), "reconnect": reconnect})
    if not oauth.configured():
        return _problem(request, _("Jira cannot be connected on this site yet: its Atlassian "
                                   "app is not set up (ATLASSIAN_CLIENT_ID and "
                                   "ATLASSIAN_CLIENT_SECRET)."))
    state = secrets.token_urlsafe(24)
    request.session[STARTED] = {"state": state, "workspace": _workspace_key(workspace),
                                "reconnect": reconnect.pk if reconnect else None}
    request.session.pop(PICKING, None)
    return redirect(oauth.authorize_url(state=state, redirect_uri=_redirect_uri(request)))


@never_cache
@login_required
@require_GET
@form_may_leave_to("ATLASSIAN_AUTH_URL")
def callback(request):
    workspace = selectors.workspace_for(request, manage=True)
    started = request.session.pop(STARTED, None)  # one use: a replayed callback is refused
    state = request.GET.get("state", "")
    if (not started or not state or not secrets.compare_digest(state, started["state"])
            or started["workspace"] != _workspace_key(workspace)):
        return _problem(request, _("This answer from Atlassian does not belong to a connection "
                                   "you started here (or it was already used). Nothing was "
                                   "connected: start again."))
    if request.GET.get("error"):
        messages.warning(request, _("You did not allow MyBA to use Jira, so nothing was "
                                    "connected."))
        return redirect("integrations:connections")
    code = request.GET.get("code", "")
    if not code or len(code) > 2000:
        return _problem(request, _("Atlassian sent no authorization code. Nothing was "
                                   "connected: start again."))
    try:
        grant = oauth.exchange_code(requests.Session(), code=code,
                                    redirect_uri=_redirect_uri(request))
        sites = oauth.accessible_sites(requests.Session(), access_token=grant.access_token)
    except TrackerError as error:
        return _problem(request, _("%(error)s Nothing was connected.") % {"error": error.message},
                        status=502)
    reconnect = _reconnecting(request, started["reconnect"])
    if reconnect is not None:
        sites = [site for site in sites if site.cloud_id == reconnect.account_ref]
        if not sites:
            return _problem(request, _("The Atlassian account you allowed cannot reach this "
                                       "connection's Jira site any more. Nothing was changed: "
                                       "sign in as someone who can, or add a new connection."))
    if not sites:
        return _problem(request, _("Your Atlassian account has no Jira Cloud site MyBA may "
                                   "use. Nothing was connected."))
    if len(sites) == 1:
        return _finish(request, workspace, grant, sites[0], reconnect)
    request.session[PICKING] = {
        "workspace": _workspace_key(workspace),
        "grant": encrypt(json.dumps({
            "access_token": grant.access_token, "refresh_token": grant.refresh_token,
            "expires_at": grant.expires_at.isoformat() if grant.expires_at else None})),
        "sites": [{"cloud_id": s.cloud_id, "url": s.url, "name": s.name} for s in sites],
    }
    return redirect("integrations:jira_site")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def choose_site(request):
    workspace = selectors.workspace_for(request, manage=True)
    picking = request.session.get(PICKING)
    if not picking or picking["workspace"] != _workspace_key(workspace):
        messages.info(request, _("Start by connecting Jira: MyBA then lists your sites."))
        return redirect("integrations:jira_connect")
    sites = [oauth.Site(**site) for site in picking["sites"]]
    error = ""
    if request.method == "POST":
        chosen = next((s for s in sites if s.cloud_id == request.POST.get("site")), None)
        if chosen is not None:
            request.session.pop(PICKING)
            saved = json.loads(decrypt(picking["grant"]))
            grant = Grant(access_token=saved["access_token"],
                          refresh_token=saved["refresh_token"],
                          expires_at=(datetime.fromisoformat(saved["expires_at"])
                                      if saved["expires_at"] else None))
            return _finish(request, workspace, grant, chosen, None)
        error = _("Choose one of the sites listed.")
    return render(request, "integrations/jira_sites.html", {"sites": sites, "error": error},
                  status=400 if error else 200)


def _finish(request, workspace: dict, grant: Grant, site: oauth.Site,
            reconnect: Connection | None):
    connection = create_connection(
        **workspace, created_by=request.user, kind=Kind.JIRA, auth=Connection.Auth.OAUTH,
        base_url=site.url, account_ref=site.cloud_id, access_token=grant.access_token,
        refresh_token=grant.refresh_token, expires_at=grant.expires_at, reconnect=reconnect)
    if reconnect is not None and connection.target:
        messages.success(request, _("Jira reconnected: %(label)s works again.")
                         % {"label": connection.label})
        return redirect("integrations:connections")
    return redirect(reverse("integrations:target", args=[connection.pk]))


urlpatterns = [
    path("", connect, name="jira_connect"),
    path("callback/", callback, name="jira_callback"),
    path("site/", choose_site, name="jira_site"),
]
