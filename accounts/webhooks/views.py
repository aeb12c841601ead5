"""The webhooks page of the current workspace: the endpoint, its secret, its deliveries.

A personal workspace's page is its owner's; a team's is for its owners and admins (403 for
other members). A delivery is found only through the workspace's own endpoint (404
otherwise), by its event id.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.teams.selectors import get_workspace
from accounts.webhooks import selectors, services
from accounts.webhooks.forms import EndpointForm
from accounts.webhooks.models import WebhookDelivery
from accounts.webhooks.signing import SIGNATURE_HEADER

PAGE_SIZE = 20
# The deliveries list refreshes itself while one is due this soon (a test event, a retry).
POLL_WITHIN = timedelta(seconds=30)


def _workspace(request) -> dict:
    """The workspace whose webhook this request manages, as service keywords."""
    workspace = get_workspace(request)
    if workspace.is_team:
        if not workspace.can_manage:
            raise PermissionDenied(_("Only the team's owners and admins manage its webhook."))
        return {"organization": workspace.organization}
    return {"owner": request.user}


def _endpoint_or_404(request):
    endpoint = selectors.get_endpoint(**_workspace(request))
    if endpoint is None:
        raise Http404("No webhook is set for this workspace.")
    return endpoint


def _deliveries(request, endpoint) -> dict:
    if endpoint is None:
        return {"page": None, "polling": False}
    page = Paginator(selectors.list_deliveries(endpoint), PAGE_SIZE).get_page(
        request.GET.get("page"))
    soon = timezone.now() + POLL_WITHIN
    polling = any(d.status == WebhookDelivery.Status.DELIVERING
                  or (d.status == WebhookDelivery.Status.PENDING and d.next_attempt_at
                      and d.next_attempt_at <= soon) for d in page)
    return {"page": page, "polling": polling}


def _render(request, workspace: dict, endpoint, form, *, secret: str = "", status: int = 200):
    context = {
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "team": workspace.get("organization"),
        "signature_header": SIGNATURE_HEADER,
        **_deliveries(request, endpoint),
    }
    return render(request, "accounts/webhooks/page.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def webhooks_page(request):
    """The page; POST sets or replaces the endpoint (URL, events, on/off)."""
    workspace = _workspace(request)
    endpoint = selectors.get_endpoint(**workspace)
    if request.htmx and request.method == "GET":
        return render(request, "accounts/webhooks/page.html#deliveries",
                      _deliveries(request, endpoint))
    initial = ({"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}
               if endpoint else {"events": ["ticket.completed", "ticket.failed"]})
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                created = endpoint is None
                services.save_webhook_endpoint(actor=request.user, **workspace, **{
                    key: form.cleaned_data[key] for key in ("url", "events", "active")})
            except services.WebhookError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _(
                    "Webhook endpoint saved. Reveal its signing secret below to check the "
                    "signatures.") if created else _("Webhook endpoint saved."))
                return redirect("webhooks:page")
        return _render(request, workspace, endpoint, form, status=400)
    return _render(request, workspace, endpoint, form)


@never_cache
@login_required
@require_POST
def reveal_secret(request):
    """The page with the signing secret shown (a POST, so it is never in a cached GET)."""
    workspace = _workspace(request)
    endpoint = _endpoint_or_404(request)
    form = EndpointForm(initial={"url": endpoint.url, "events": endpoint.events,
                                 "active": endpoint.active})
    return _render(request, workspace, endpoint, form, secret=endpoint.secret)


@login_required
@require_POST
def rotate_secret(request):
    endpoint = _endpoint_or_404(request)
    services.rotate_webhook_secret(endpoint=endpoint, actor=request.user)
    messages.success(request, _("New signing secret made; the old one no longer signs "
                                "anything. Reveal it and update your receiver."))
    return redirect("webhooks:page")


@login_required
@require_POST
def send_test(request):
    endpoint = _endpoint_or_404(request)
    services.send_test_event(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Test event queued: it appears in the deliveries below."))
    return redirect("webhooks:page")


@login_required
@require_POST
def delete_endpoint(request):
    endpoint = _endpoint_or_404(request)
    services.delete_webhook_endpoint(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Webhook endpoint deleted: no more events will be sent."))
    return redirect("webhooks:page")


@login_required
@require_POST
def resend(request, event_id: str):
    delivery = selectors.get_delivery(_endpoint_or_404(request), event_id)
    if delivery is None:
        raise Http404("No such delivery.")
    if services.resend_delivery(delivery=delivery):
        messages.success(request, _("Sending %(event)s again.") % {"event": delivery.event_id})
    else:
        messages.warning(request, _("%(event)s is being sent right now.")
                         % {"event": delivery.event_id})
    return redirect("webhooks:page")
