"""Connecting GitHub: install the MyBA GitHub App (when this site has one), or paste a
fine-grained personal access token with its repository. Either way the credentials are
checked against GitHub before anything is saved.

URL names: `github_connect` (the page: both ways in, and the token form's POST),
`github_install` (POST: off to GitHub's installation page) and `github_setup` (where GitHub
sends the browser back after the installation and the user's authorization of the app: the
App's "Callback URL", with "Request user authorization (OAuth) during installation" on).
"""

import re

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
from integrations.trackers import github as client

STATE_KEY = "integrations:github:install"
REPO_URL_RE = re.compile(r"^(?:https?://[^/]+/)?([^/\s]+/[^/\s]+?)(?:\.git)?/?$")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Fine-grained personal access token"), max_length=255, strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    repository = forms.CharField(
        label=gettext_lazy("Repository"), max_length=140, strip=True,
        widget=forms.TextInput(attrs={"placeholder": "owner/name", "autocomplete": "off",
                                      "spellcheck": "false"}))

    def clean_repository(self) -> str:
        """owner/name, or the repository's address as copied from the browser."""
        match = REPO_URL_RE.match(self.cleaned_data["repository"])
        repo = match.group(1) if match else ""
        if not client.REPO_RE.match(repo):
            raise forms.ValidationError(_("Write the repository as owner/name, for example "
                                          "acme/shop."))
        return repo


def _page(request, *, form=None, error: str = "", reconnect=None, status: int = 200):
    return render(request, "integrations/github_connect.html", {
        "form": form or TokenForm(), "error": error, "reconnect": reconnect,
        "app": client.app_configured(), "team": selectors.workspace_for(
            request, manage=True).get("organization"),
    }, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@form_may_leave_to("GITHUB_WEB_URL")
def connect(request):
    """Both ways in; POST checks the pasted token against the repository and saves it."""
    selectors.workspace_for(request, manage=True)
    reconnect = flow.reconnecting(request, "github")
    if request.method == "GET":
        return _page(request, reconnect=reconnect)
    form = TokenForm(request.POST)
    if form.is_valid():
        token, repo = form.cleaned_data["token"], form.cleaned_data["repository"]
        try:
            destination = client.check_repository(token, repo)
        except TrackerError as error:
            form.add_error("token" if error.kind == "auth" else "repository",
                           _token_message(error, repo))
        else:
            if reconnect and reconnect.target and reconnect.target != destination.target:
                form.add_error("repository", _("This connection sends to %(label)s: give a "
                                               "token for that repository.")
                               % {"label": reconnect.label})
            else:
                return flow.save_and_continue(
                    request, kind="github", reconnect=reconnect, auth="token",
                    base_url=settings.GITHUB_API_URL, account_ref=destination.label,
                    access_token=token)
    return _page(request, form=form, reconnect=reconnect, status=400)


def _token_message(error: TrackerError, repo: str) -> str:
    if error.kind == "missing":
        return (_("GitHub has no repository %(repo)s that this token can see: check the name, "
                  "and that the token was given access to it.") % {"repo": repo})
    if error.status == 401:
        return _("GitHub does not accept this token: it may be mistyped, expired or revoked.")
    return error.message


@login_required
@require_POST
def install(request):
    """Off to GitHub to install the app, with a `state` that the setup page checks."""
    if not client.app_configured():
        raise Http404("This site has no GitHub App.")
    selectors.workspace_for(request, manage=True)
    state = flow.begin(request, STATE_KEY, reconnect=flow.reconnecting(request, "github"))
    return redirect(f"{settings.GITHUB_WEB_URL.rstrip('/')}/apps/{settings.GITHUB_APP_SLUG}"
                    f"/installations/new?{urlencode({'state': state})}")


@never_cache
@login_required
@require_GET
def setup(request):
    """GitHub's redirect after the installation: the state must be the one this browser
    left with, the installation one that the person's own GitHub account can see (the `code`
    of the app's user authorization proves who they are), and a token is minted for it
    before anything is saved."""
    if not client.app_configured():
        raise Http404("This site has no GitHub App.")
    selectors.workspace_for(request, manage=True)
    kept = flow.finish(request, STATE_KEY)
    if kept is None:
        return _page(request, status=400, error=(
            _("This installation link was not started from this page, or was used already. "
              "Nothing was connected: install the app again from here.")))
    reconnect = flow.kept_reconnect(request, kept)
    if request.GET.get("setup_action") == "request":
        return _page(request, reconnect=reconnect, error=(
            _("GitHub asked an owner of the organization to approve the installation. Once "
              "they have, come back and install it again to connect.")))
    installation = request.GET.get("installation_id", "")
    if not installation.isdigit():
        return _page(request, reconnect=reconnect, status=400, error=(
            _("GitHub did not say which installation was made (it was cancelled?). Nothing "
              "was connected.")))
    try:
        if installation not in client.user_installations(request.GET.get("code", "")):
            return _page(request, reconnect=reconnect, status=400, error=(
                _("That installation is not one your GitHub account can see. Nothing was "
                  "connected: install the app from here with an account of its owner.")))
        grant = client.mint_installation_token(installation)
    except TrackerError as error:
        return _page(request, reconnect=reconnect, status=400,
                     error=_("The installation could not be used: %(error)s")
                     % {"error": error.message})
    return flow.save_and_continue(
        request, kind="github", reconnect=reconnect, auth="app",
        base_url=settings.GITHUB_API_URL, account_ref=installation,
        access_token=grant.access_token, expires_at=grant.expires_at)


urlpatterns = [
    path("", connect, name="github_connect"),
    path("install/", install, name="github_install"),
    path("installed/", setup, name="github_setup"),
]
