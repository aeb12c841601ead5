"""Connecting GitLab: sign in with GitLab (OAuth, scope `api`, when this site has an OAuth
application on GITLAB_URL), or paste a project access token with the project's path, on
gitlab.com or a self-hosted instance. Credentials are checked before anything is saved.

URL names: `gitlab_connect` (the page: both ways in, and the token form's POST),
`gitlab_authorize` (POST: off to GitLab's sign-in) and `gitlab_callback` (GitLab's redirect
back with `code` and `state`: the OAuth application's redirect URI).
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations import selectors
from integrations.connect import flow
from integrations.connect.flow import form_may_leave_to
from integrations.trackers import TrackerError
from integrations.trackers import gitlab as client

STATE_KEY = "integrations:gitlab:oauth"
PROJECT_RE = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$")


def oauth_configured() -> bool:
    return bool(settings.GITLAB_OAUTH_CLIENT_ID and settings.GITLAB_OAUTH_CLIENT_SECRET)


def default_instance() -> str:
    return settings.GITLAB_URL.rstrip("/")


def public_instance(url: str) -> str:
    """A self-hosted instance's root, if it is one MyBA may call: https, on a public address
    (never this machine or a private network: the server makes these calls). The configured
    GITLAB_URL is always allowed."""
    url = url.strip().rstrip("/")
    if url == default_instance():
        return url
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise forms.ValidationError(_("Write the instance's address as "
                                      "https://gitlab.example.com (https, no path)."))
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError):
        raise forms.ValidationError(_("%(host)s could not be found.")
                                    % {"host": parts.hostname}) from None
    if not all(ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses):
        raise forms.ValidationError(_("That address is on a private network: MyBA can only "
                                      "reach GitLab instances on the internet."))
    return f"https://{parts.netloc}"


class TokenForm(forms.Form):
    instance = forms.URLField(label=gettext_lazy("GitLab address"), max_length=200,
                              assume_scheme="https",
                              help_text=gettext_lazy("gitlab.com, or your own instance."))
    project = forms.CharField(
        label=gettext_lazy("Project path"), max_length=255, strip=True,
        widget=forms.TextInput(attrs={"placeholder": "group/project", "autocomplete": "off",
                                      "spellcheck": "false"}))
    token = forms.CharField(
        label=gettext_lazy("Project access token"), max_length=255, strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def clean_instance(self) -> str:
        return public_instance(self.cleaned_data["instance"])

    def clean_project(self) -> str:
        """group/project, or the project's address as copied from the browser."""
        value = self.cleaned_data["project"]
        if "://" in value:
            value = urlsplit(value).path
        value = value.strip("/").removesuffix(".git").split("/-/")[0]
        if not PROJECT_RE.match(value):
            raise forms.ValidationError(_("Write the project's path as group/project, for "
                                          "example acme/shop."))
        return value


def _page(request, *, form=None, error: str = "", reconnect=None, status: int = 200):
    return render(request, "integrations/gitlab_connect.html", {
        "form": form or TokenForm(initial={"instance": default_instance()}),
        "error": error, "reconnect": reconnect, "oauth": oauth_configured(),
        "instance": default_instance(),
        "team": selectors.workspace_for(request, manage=True).get("organization"),
    }, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@form_may_leave_to("GITLAB_URL")
def connect(request):
    """Both ways in; POST checks the pasted token against the project and saves it."""
    selectors.workspace_for(request, manage=True)
    reconnect = flow.reconnecting(request, "gitlab")
    if request.method == "GET":
        return _page(request, reconnect=reconnect)
    form = TokenForm(request.POST)
    if form.is_valid():
        base, token = form.cleaned_data["instance"], form.cleaned_data["token"]
        project = form.cleaned_data["project"]
        try:
            destination = client.check_project(base, token, project)
        except TrackerError as error:
            form.add_error("token" if error.kind == "auth" else "project",
                           _token_message(error, project, base))
        else:
            if reconnect and reconnect.target and reconnect.target != destination.target:
                form.add_error("project", _("This connection sends to %(label)s: give a token "
                                            "for that project.") % {"label": reconnect.label})
            else:
                return flow.save_and_continue(
                    request, kind="gitlab", reconnect=reconnect, auth="token", base_url=base,
                    account_ref=destination.target["path"], access_token=token)
    return _page(request, form=form, reconnect=reconnect, status=400)


def _token_message(error: TrackerError, project: str, base: str) -> str:
    if error.kind == "missing":
        return (_("%(base)s has no project %(project)s that this token can see: check the "
                  "path, and that the token belongs to that project.")
                % {"base": base, "project": project})
    if error.status == 401:
        return _("GitLab does not accept this token: it may be mistyped, expired or revoked.")
    if error.kind == "retry":
        return (_("%(base)s did not answer as GitLab does: check the address. (%(error)s)")
                % {"base": base, "error": error.message})
    return error.message


@login_required
@require_POST
def authorize(request):
    """Off to GitLab's sign-in with a `state` that the callback checks."""
    if not oauth_configured():
        raise Http404("This site has no GitLab OAuth application.")
    selectors.workspace_for(request, manage=True)
    state = flow.begin(request, STATE_KEY, reconnect=flow.reconnecting(request, "gitlab"))
    query = urlencode({"client_id": settings.GITLAB_OAUTH_CLIENT_ID,
                       "redirect_uri": client.redirect_uri(), "response_type": "code",
                       "state": state, "scope": "api"})
    return redirect(f"{default_instance()}/oauth/authorize?{query}")


@never_cache
@login_required
@require_GET
@form_may_leave_to("GITLAB_URL")
def callback(request):
    """GitLab's redirect back: the state must be the one this browser left with; the code
    is exchanged for the first token pair before anything is saved."""
    if not oauth_configured():
        raise Http404("This site has no GitLab OAuth application.")
    selectors.workspace_for(request, manage=True)
    kept = flow.finish(request, STATE_KEY)
    if kept is None:
        return _page(request, status=400, error=(
            _("This sign-in was not started from this page, or was used already. Nothing was "
              "connected: sign in with GitLab again from here.")))
    reconnect = flow.kept_reconnect(request, kept)
    if request.GET.get("error") or not request.GET.get("code"):
        return _page(request, reconnect=reconnect, status=400, error=(
            _("GitLab did not let MyBA in (the sign-in was denied or cancelled). Nothing was "
              "connected.")))
    try:
        grant = client.exchange_code(default_instance(), code=request.GET["code"],
                                     redirect_uri=client.redirect_uri())
    except TrackerError as error:
        return _page(request, reconnect=reconnect, status=400,
                     error=_("The sign-in could not be completed: %(error)s")
                     % {"error": error.message})
    return flow.save_and_continue(
        request, kind="gitlab", reconnect=reconnect, auth="oauth", base_url=default_instance(),
        access_token=grant.access_token, refresh_token=grant.refresh_token,
        expires_at=grant.expires_at)


urlpatterns = [
    path("", connect, name="gitlab_connect"),
    path("authorize/", authorize, name="gitlab_authorize"),
    path("callback/", callback, name="gitlab_callback"),
]
