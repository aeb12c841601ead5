"""The duplicate warning on the generator (tickets/similarity.py): a debounced check while the
person types, and a step before anything is reserved when they submit (`new_ticket`).

Both look in the library of the current workspace (`workspace_tickets`: the team's, the
person's own, or a visitor's), write nothing and reserve nothing, and count against
SIMILAR_RATE_LIMIT a minute per person (or, signed out, per address)."""

import uuid

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import ratelimit
from accounts.network import get_client_ip
from tickets import selectors
from tickets.forms import DESCRIPTION_MAX, count_characters
from tickets.similarity import SimilarTicket, find_similar_tickets

PARTIAL = "tickets/partials/ticket_similar.html"


def _hit_rate_limit(request) -> ratelimit.RateResult:
    who = (f"user:{request.user.pk}" if request.user.is_authenticated
           else f"ip:{get_client_ip(request)}")
    return ratelimit.hit(f"similar:{who}", limit=settings.SIMILAR_RATE_LIMIT)


def find_duplicates(request, description: str, *,
                    nonce: uuid.UUID | None = None) -> list[SimilarTicket]:
    """Likely duplicates of `description` in the request's current workspace. Nothing for a
    description too short or too long for the form, for a form (`nonce`) that already made
    its ticket, or once the rate limit is spent: the submit goes ahead unwarned."""
    description = description.replace("\x00", "")  # PostgreSQL refuses NUL in text
    if count_characters(description) > DESCRIPTION_MAX:
        return []
    if not _hit_rate_limit(request).allowed:
        return []
    found = find_similar_tickets(selectors.workspace_tickets(request), description)
    if found and nonce is not None and selectors.visible_tickets(request).filter(
            nonce=nonce).exists():
        return []  # a resent form: the ticket it made is the answer, not a warning
    return found


@require_GET
def similar_tickets(request):
    """The live check under the generator's description: the warning for `?description=`, or
    nothing. `?dismissed=1` (the warning's "Not a duplicate" button): a note that this will be
    a new ticket, with the form's `duplicate_ok` flag, so the submit does not ask again."""
    if request.GET.get("dismissed"):
        return render(request, PARTIAL, {"dismissed": True})
    description = request.GET.get("description", "").replace("\x00", "")
    if count_characters(description) > DESCRIPTION_MAX:
        return render(request, PARTIAL, {"similar": []})
    limit = _hit_rate_limit(request)
    if not limit.allowed:
        # htmx keeps what it showed; the page says "Too many requests".
        response = HttpResponse("Too many checks: wait a moment.", status=429,
                                content_type="text/plain")
    else:
        similar = find_similar_tickets(selectors.workspace_tickets(request), description)
        response = render(request, PARTIAL, {"similar": similar})
    for header, value in limit.headers().items():
        response[header] = value
    return response
