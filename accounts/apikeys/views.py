"""The API keys page: a person's own keys, or (for its owners and admins) the current team's."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.apikeys import selectors, services
from accounts.apikeys.forms import ApiKeyForm
from accounts.network import get_client_ip
from accounts.teams.roles import can_manage
from accounts.teams.selectors import get_workspace

PAGE_SIZE = 20
ISSUED_SESSION_KEY = "api_key_issued"


def _workspace(request):
    """(organization or None, may manage): a team workspace's keys are its managers'."""
    membership = get_workspace(request).membership
    if membership is None:
        return None, True
    return membership.organization, can_manage(membership.role)


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    organization, manager = _workspace(request)
    form = ApiKeyForm(request.POST if request.method == "POST" and manager else None)
    if request.method == "POST":
        if not manager:
            messages.error(request, _("Only the team's owners and admins manage its API keys."))
            return redirect("accounts:api_keys")
        if form.is_valid():
            data = form.cleaned_data
            issued = services.create_api_key(
                actor=request.user, organization=organization, name=data["name"],
                scopes=data["scopes"], expires_at=form.expires_at(),
                daily_budget=data["daily_budget"], monthly_budget=data["monthly_budget"],
                allowed_ips=data["allowed_ips"], ip=get_client_ip(request))
            # Shown by the next page load only (then gone): a reload cannot make a second key.
            request.session[ISSUED_SESSION_KEY] = {"name": issued.key.name,
                                                   "secret": issued.secret}
            return redirect("accounts:api_keys")
    keys = Paginator(selectors.workspace_keys(user=request.user, organization=organization),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/api_keys.html", {
        "form": form, "issued": request.session.pop(ISSUED_SESSION_KEY, None), "keys": keys,
        "organization": organization, "manager": manager,
        "events": selectors.workspace_key_events(user=request.user, organization=organization)
        if manager else [],
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def revoke_key(request, key_id: int):
    organization, manager = _workspace(request)
    key = selectors.workspace_keys(user=request.user, organization=organization).filter(
        pk=key_id).first()
    if key is None or not manager:
        raise Http404
    if services.revoke_api_key(key=key, actor=request.user, ip=get_client_ip(request)):
        messages.success(request, _("Revoked “%(name)s”: it stops working now.")
                         % {"name": key.name})
    else:
        messages.info(request, _("“%(name)s” was already revoked.") % {"name": key.name})
    return redirect("accounts:api_keys")
