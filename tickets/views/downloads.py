"""Exports of finished tickets: one ticket, or several from the library, in one file. An
epic's stories (a story's sub-tasks) are written under it."""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets import exports, selectors
from tickets.exports import EXPORT_FORMATS
from tickets.models import Status, Ticket, is_public_id
from tickets.views import _visible_ticket


def _download(tickets: list[Ticket], export: exports.ExportFormat, basename: str) -> HttpResponse:
    response = HttpResponse(export.render(selectors.with_children(tickets)),
                            content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{basename}.{export.extension}"'
    return response


@require_GET
def ticket_export(request, public_id: str, fmt: str):
    ticket = _visible_ticket(request, public_id, status=Status.SUCCEEDED)
    if fmt not in EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    return _download([ticket], EXPORT_FORMATS[fmt], f"ticket-{ticket.public_id}")


@require_GET
def tickets_export(request):
    """Several tickets in one file: `?format=csv&ids=<public id>&ids=<public id>` (all
    visible ones if no ids)."""
    export = EXPORT_FORMATS.get(request.GET.get("format", ""))
    if export is None:
        *rest, last = EXPORT_FORMATS
        return HttpResponseBadRequest(f"Choose an export format: {', '.join(rest)} or {last}.")
    ids = set(request.GET.getlist("ids"))
    if not all(is_public_id(value) for value in ids):
        return HttpResponseBadRequest("That is not a ticket id: choose tickets from your list.")
    tickets = selectors.workspace_tickets(request).filter(status=Status.SUCCEEDED)
    if ids:
        tickets = tickets.filter(public_id__in=ids)
        if tickets.count() != len(ids):
            raise Http404("No such ticket.")
    tickets = list(tickets.order_by("-created_at", "-id")[:500])
    if not tickets:
        messages.info(request, _("There are no finished tickets to export yet."))
        return redirect("tickets:list")
    return _download(tickets, export, f"tickets-{timezone.now():%Y%m%d}")
