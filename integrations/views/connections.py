"""The Connections page of the current workspace: its trackers, where each sends issues,
what is wrong with a broken one; choosing a destination; removing a connection."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.teams.selectors import get_workspace
from integrations import selectors
from integrations.connect import available_flows
from integrations.services import connections as services
from integrations.services.credentials import access_token_for
from integrations.slack.selectors import list_links
from integrations.trackers import TrackerError, tracker_class


@never_cache
@login_required
def connections_page(request):
    workspace = selectors.workspace_for(request, manage=False)
    current = get_workspace(request)
    connections = selectors.list_connections(**workspace).order_by("kind", "label", "pk")
    return render(request, "integrations/connections.html", {
        "connections": connections,
        "team": workspace.get("organization"),
        "can_manage": not current.is_team or current.can_manage,
        "flows": available_flows(),
        "local_fakes": settings.LOCAL_FAKES,
        "local_fakes_slack_port": settings.LOCAL_FAKES_PORT + 3,
        "slack_links": list_links(user=request.user),
    })


def _key(target: dict) -> str:
    return json.dumps(target, sort_keys=True, separators=(",", ":"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def choose_target(request, pk: int):
    """Where a connection sends issues: the destinations the tracker lists for it (asked
    again on POST, so only one of them can be chosen)."""
    connection = selectors.get_connection_for(request, pk)
    destinations, error, tracker = [], "", None
    try:
        token = access_token_for(connection)
        tracker = tracker_class(connection.kind)(connection, token=token)
        destinations = tracker.destinations()
    except TrackerError as failure:
        error = failure.message
    if not destinations and not error:
        error = _("This connection cannot see any repository or project it may create issues "
                  "in. Give it access on the tracker's side, then reload this page.")
    if request.method == "POST" and destinations:
        chosen = {_key(d.target): d for d in destinations}.get(request.POST.get("target", ""))
        if chosen is None:
            error = _("Choose one of the destinations listed.")
        else:
            try:
                services.choose_target(connection=connection,
                                       target=tracker.prepare_target(chosen.target),
                                       label=chosen.label)
            except TrackerError as failure:
                error = failure.message
            except ValueError as refused:
                error = str(refused)
            else:
                messages.success(request, _("%(kind)s connected: tickets you send go to "
                                            "%(label)s.") % {"kind": connection.get_kind_display(),
                                                             "label": chosen.label})
                return redirect("integrations:connections")
    return render(request, "integrations/target.html", {
        "connection": connection, "error": error,
        "destinations": [(_key(d.target), d) for d in destinations],
        "current": _key(connection.target) if connection.target else "",
    }, status=400 if request.method == "POST" and error else 200)


@login_required
@require_POST
def delete(request, pk: int):
    connection = selectors.get_connection_for(request, pk)
    services.delete_connection(connection=connection)
    messages.success(request, _("%(connection)s removed. The issues it created stay in "
                                "%(kind)s.") % {"connection": connection,
                                                "kind": connection.get_kind_display()})
    return redirect("integrations:connections")
