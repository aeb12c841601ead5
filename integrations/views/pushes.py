"""Sending tickets to a tracker: the preview (field by field, and what has nowhere to go),
"Create" / "Update the existing issue", the live status, and trying a failed push again.

A ticket is found only among those the user may push (404 otherwise); a connection only among
the ticket's workspace's (404 otherwise). The preview makes no call to the tracker.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from integrations import selectors
from integrations.models import Push
from integrations.services.pushing import PushRefused, plan_pushes, request_pushes
from integrations.trackers import Remote, tracker_class
from tickets.models import Ticket, is_public_id

MAX_SELECTED = 200


def _parent_placeholder() -> Remote:
    """The parent a preview shows for a story whose epic is not in the tracker yet."""
    return Remote(id="", key=_("the epic’s new issue"), url="")


def _pushable(request, public_ids: list[str]) -> list[Ticket]:
    ids = [pid for pid in public_ids if is_public_id(pid)][:MAX_SELECTED]
    tickets = [t for t in Ticket.objects.filter(public_id__in=ids).select_related("parent")
               if selectors.may_push(request.user, t)]
    if not tickets:
        raise Http404("No such ticket.")
    order = {pid: index for index, pid in enumerate(ids)}
    return sorted(tickets, key=lambda t: order[t.public_id])


def _connection(request, tickets: list[Ticket], value: str | None):
    if not value or not value.isdigit():
        return None
    connection = selectors.connections_for_ticket(tickets[0]).filter(pk=int(value)).first()
    if connection is None:
        raise Http404("No such connection.")
    return connection


def _previews(request, tickets, connection) -> dict:
    """The preview of each planned ticket, with its existing push (if any)."""
    try:
        plan = plan_pushes(user=request.user, tickets=tickets, connection=connection)
    except PushRefused as refused:
        return {"refused": refused.message}
    tracker = tracker_class(connection.kind)(connection, token=connection.access_token)
    existing = {p.ticket_id: p for p in Push.objects.filter(
        connection=connection, ticket__in=[item.ticket for item in plan])}
    items = []
    for item in plan:
        push = existing.get(item.ticket.pk)
        parent_push = existing.get(item.parent.pk) if item.parent else None
        parent = (Remote(parent_push.remote_id, parent_push.remote_key, parent_push.remote_url,
                         parent_push.remote_extra)
                  if parent_push and parent_push.remote_id else
                  _parent_placeholder() if item.parent else None)
        items.append({
            "ticket": item.ticket, "parent": item.parent, "push": push,
            "draft": tracker.draft(item.ticket, parent=parent),
            "edited": bool(push and push.state == Push.State.DONE
                           and push.sent_digest != selectors.ticket_digest(item.ticket)),
        })
    blocked = [i["ticket"] for i in items if getattr(i["draft"], "blocking", None)]
    return {"items": items, "blocked": blocked,
            "polling": any(i["push"] and i["push"].state in (Push.State.PENDING,
                                                            Push.State.SENDING) for i in items),
            "to_create": sum(1 for i in items if not i["push"] or i["push"].state == "failed"
                             and not i["push"].remote_id),
            "to_update": sum(1 for i in items if i["edited"])}


def _render_preview(request, tickets, *, status=200, error=""):
    connections = list(selectors.connections_for_ticket(tickets[0]).order_by("kind", "label"))
    connection = _connection(request, tickets, request.POST.get("connection")
                             or request.GET.get("connection"))
    if connection is None and len(connections) == 1:
        connection = connections[0]
    context = {"tickets": tickets, "connections": connections, "connection": connection,
               "error": error, "ids": [t.public_id for t in tickets]}
    if connection is not None:
        context.update(_previews(request, tickets, connection))
    return render(request, "integrations/preview.html", context, status=status)


def _send(request, tickets):
    connection = _connection(request, tickets, request.POST.get("connection"))
    if connection is None:
        return _render_preview(request, tickets, status=400,
                               error=_("Choose where to send the tickets."))
    update = request.POST.get("action") == "update"
    try:
        pushes = request_pushes(user=request.user, tickets=tickets, connection=connection,
                                update=update)
    except PushRefused as refused:
        return _render_preview(request, tickets, status=400, error=refused.message)
    values = {"count": len(pushes), "label": connection.label}
    if update:
        message = ngettext("Updating %(count)s issue in %(label)s: this page shows when each "
                           "is there.", "Updating %(count)s issues in %(label)s: this page shows "
                           "when each is there.", len(pushes))
    else:
        message = ngettext("Sending %(count)s issue in %(label)s: this page shows when each "
                           "is there.", "Sending %(count)s issues in %(label)s: this page shows "
                           "when each is there.", len(pushes))
    messages.success(request, message % values)
    query = "&".join(f"ids={t.public_id}" for t in tickets)
    return redirect(f"{reverse('integrations:preview_many')}?{query}"
                    f"&connection={connection.pk}")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preview(request, public_id: str):
    tickets = _pushable(request, [public_id])
    if request.method == "POST":
        return _send(request, tickets)
    return _render_preview(request, tickets)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preview_many(request):
    source = request.POST if request.method == "POST" else request.GET
    ids = source.getlist("ids")
    if not ids:
        messages.error(request, _("Select the tickets to send first."))
        return redirect("tickets:list")
    tickets = _pushable(request, ids)
    if request.method == "POST":
        return _send(request, tickets)
    return _render_preview(request, tickets)


@never_cache
@login_required
def status(request, public_id: str):
    """A ticket's pushes (the card on its page, polled while one is under way)."""
    ticket = _pushable(request, [public_id])[0]
    return render(request, "integrations/partials/ticket_pushes.html",
                  {"ticket": ticket, **selectors.ticket_push_summary(request.user, ticket)})


@login_required
@require_POST
def retry(request, pk: int):
    push = selectors.get_push_for(request, pk)
    try:
        request_pushes(user=request.user, tickets=[push.ticket], connection=push.connection)
    except PushRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Trying %(ticket)s again.") % {"ticket": push.ticket})
    return redirect("tickets:detail", push.ticket.public_id)
