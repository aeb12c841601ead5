"""A ticket's improvements and versions: Improve, its progress, the history, restore.

Every view looks the ticket up among the request's own (`_visible_ticket`: someone else's is
a 404), validates, calls one service and renders; one view serves the page and the htmx
fragment.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.teams.limits import describe_limit_reached, get_payer_for
from tickets import selectors, services
from tickets.diffing import diff_content
from tickets.forms import ImproveForm
from tickets.models import Status
from tickets.templatetags.ticket_tags import improve_panel
from tickets.views import _changeable_ticket, _pricing_url, _visible_ticket
from tokens.exceptions import AccountClosed, InsufficientTokens, LimitReached, UnknownPrice

VERSIONS_PAGE_SIZE = 20


def _improve_error(request, ticket, form: ImproveForm) -> tuple[str, bool]:
    """Ask for the improvement; the message to show when it was not started ("" when it
    was), and whether it failed for want of tokens."""
    if not form.is_valid():
        return form.errors["nonce"][0], False
    try:
        payer = get_payer_for(request, ticket.organization)
        services.request_ticket_improvement(ticket=ticket, account=payer.account,
                                            spender=payer.spender, limits=payer.limits,
                                            nonce=form.cleaned_data["nonce"])
    except services.NothingToImprove:
        return _("This ticket already passes every check: there is nothing to improve."), False
    except services.AlreadyImproving:
        return _("This ticket is already being improved; its result will show here."), False
    except UnknownPrice:
        return _("Improve is not available right now."), False
    except AccountClosed:
        return _("Your token account is closed, so it cannot pay for improvements."), False
    except LimitReached as error:
        return describe_limit_reached(error.limit, used=error.used, needed=error.needed), False
    except InsufficientTokens as error:
        return ngettext("Improve costs %(needed)s token; you have %(available)s.",
                        "Improve costs %(needed)s tokens; you have %(available)s.",
                        error.needed) % {"needed": error.needed,
                                         "available": error.available}, True
    return "", False


@require_POST
def ticket_improve(request, public_id: str):
    """The Improve button: reserve its price and start the rewrite, or say why not."""
    ticket = _changeable_ticket(request, public_id, status=Status.SUCCEEDED)
    error, short = _improve_error(request, ticket, ImproveForm(request.POST))
    if not request.htmx:
        if error:
            messages.error(request, error)
            return redirect(f"{reverse('tickets:detail', args=[ticket.public_id])}#improve-"
                            f"{ticket.public_id}")
        messages.info(request, _("Improving the failing fields: the result shows here in a "
                                 "few seconds."))
        return redirect("tickets:detail", public_id=ticket.public_id)
    if not error:
        return _progress(request, ticket)
    context = improve_panel(ticket, scorecard=ticket.scorecard, error=error)
    return render(request, "tickets/partials/ticket_improve.html",
                  {**context, "pricing_url": _pricing_url() if short else ""})


@require_GET
def ticket_improvement(request, public_id: str):
    """The progress the Improve panel polls (without htmx: the ticket's page)."""
    ticket = _visible_ticket(request, public_id, status=Status.SUCCEEDED)
    if not request.htmx:
        return redirect("tickets:detail", public_id=ticket.public_id)
    return _progress(request, ticket)


def _progress(request, ticket):
    """The Improve panel while the improvement runs (it polls again). Once settled, the page
    reloads to show the ticket as it is now, with the outcome as a message. Either way the
    header's balance follows (reserved, then captured or released)."""
    ticket.refresh_from_db()
    improvement = selectors.get_latest_improvement(ticket)
    response = render(request, "tickets/partials/ticket_improve.html",
                      improve_panel(ticket, scorecard=ticket.scorecard))
    if improvement is not None and not improvement.is_active:
        level = messages.SUCCESS if improvement.status == "improved" else messages.INFO
        messages.add_message(request, level, improvement.outcome)
        response["HX-Refresh"] = "true"
    return trigger_client_event(response, "tokens-changed")


@require_GET
def ticket_versions(request, public_id: str):
    """The version history: newest first, each with what changed from the one before."""
    ticket = _visible_ticket(request, public_id, status=Status.SUCCEEDED)
    page = Paginator(selectors.list_versions(ticket), VERSIONS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    versions = list(page.object_list)
    # The version before the page's last one, for its diff (one query, not one per row).
    earlier = {version.number: version for version in selectors.list_versions(ticket).filter(
        number__in=[version.number - 1 for version in versions])}
    earlier |= {version.number: version for version in versions}
    rows = [{
        "version": version,
        "current": version.number == ticket.version,
        "changes": diff_content(
            earlier[version.number - 1].content if version.number - 1 in earlier else None,
            version.content,
        ),
    } for version in versions]
    return render(request, "tickets/versions.html", {
        "ticket": ticket,
        "page": page,
        "rows": rows,
    })


@require_POST
def ticket_restore(request, public_id: str, number: int):
    """Make an earlier version the current one (free; the history keeps every version)."""
    ticket = _changeable_ticket(request, public_id, status=Status.SUCCEEDED)
    version = get_object_or_404(selectors.list_versions(ticket), number=number)
    if version.number == ticket.version:
        messages.info(request, _("Version %(number)s is already the current one.")
                      % {"number": number})
        return redirect("tickets:versions", public_id=ticket.public_id)
    try:
        services.restore_ticket_version(ticket=ticket, version=version)
    except services.ImprovementInProgress:
        messages.error(request, _("This ticket is being improved; restore it once that is done."))
        return redirect("tickets:versions", public_id=ticket.public_id)
    messages.success(request, _("Restored version %(number)s as version %(version)s.")
                     % {"number": number, "version": ticket.version})
    return redirect(reverse("tickets:detail", args=[ticket.public_id]))
