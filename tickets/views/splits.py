"""Splitting a ticket into children, and the live list of its children.

The ticket is looked up among the request's own (`_visible_ticket`: someone else's is a 404);
splitting also needs the right to change it. One service call per view.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.teams.limits import describe_limit_reached, get_payer_for
from tickets import selectors, services
from tickets.forms import SplitForm
from tickets.models import Status
from tickets.quotes import split_price
from tickets.views import _changeable_ticket, _visible_ticket
from tokens.exceptions import AccountClosed, InsufficientTokens, LimitReached, UnknownPrice


@require_GET
def ticket_children(request, public_id: str):
    """The split's live list (the card polls it); `?compact=1`: the library's folded list."""
    ticket = _visible_ticket(request, public_id)
    return render(request, "tickets/partials/ticket_children.html", {
        "ticket": ticket, "progress": selectors.get_split_progress(ticket),
        "compact": request.GET.get("compact") == "1"})


def _split_error(request, ticket, form: SplitForm) -> str:
    """Split the ticket; the message to show when it was not split ("" when it was)."""
    if not form.is_valid():
        return next(iter(form.errors.values()))[0]
    max_children = form.cleaned_data["max_children"]
    try:
        price = split_price(ticket.quality, max_children=max_children, with_epic=False)
        payer = get_payer_for(request, ticket.organization)
        services.request_ticket_split(ticket=ticket, max_children=max_children, each=price.each,
                                      spender=payer.spender, limits=payer.limits)
    except services.CannotSplit as error:
        return str(error)
    except UnknownPrice:
        return _("Splitting is not available right now.")
    except AccountClosed:
        return _("Your token account is closed, so it cannot pay for sub-tasks.")
    except LimitReached as error:
        return describe_limit_reached(error.limit, used=error.used, needed=error.needed)
    except InsufficientTokens:
        # Nothing was reserved: what the account has now is what it had.
        payer.account.refresh_from_db()
        return ngettext(
            "Up to %(count)s sub-task reserves %(tokens)s tokens; you have %(available)s. "
            "Choose fewer, or get more tokens.",
            "Up to %(count)s sub-tasks reserve %(tokens)s tokens; you have %(available)s. "
            "Choose fewer, or get more tokens.",
            max_children) % {"count": max_children, "tokens": price.each * max_children,
                             "available": payer.account.available}
    return ""


@require_POST
def ticket_split(request, public_id: str):
    """Split a finished story into sub-tasks (POST/redirect/GET back to the ticket)."""
    ticket = _changeable_ticket(request, public_id, status=Status.SUCCEEDED)
    error = _split_error(request, ticket, SplitForm(request.POST))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Splitting into sub-tasks: they appear below as they are "
                                    "written. You pay only for the ones delivered."))
    return redirect(reverse("tickets:detail", args=[ticket.public_id]) + "#children")
