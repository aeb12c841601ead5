import hashlib
import uuid

from django import template
from django.core.cache import caches
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tickets import quotes, selectors
from tickets.kinds import KINDS
from tickets.quality import messages as quality_messages

register = template.Library()

LIBRARY_ROW_SECONDS = 7 * 24 * 3600


def _library_row_key(ticket) -> str:
    """Everything the row shows, and the time zone and language it shows it in: a row's
    cached HTML can never be out of date, whatever changed the ticket (and however)."""
    shown = (ticket.public_id, ticket.title, ticket.status, ticket.ticket_type,
             ticket.quality_score, ticket.priority, ticket.story_points,
             ticket.created_at.isoformat(), getattr(ticket, "child_count", 0),
             timezone.get_current_timezone_name(),
             translation.get_language(), _author(ticket))
    return "tickets:library-row:" + hashlib.sha256(repr(shown).encode()).hexdigest()


def _author(ticket) -> str:
    """Who made a team's ticket, as its row names them ("" for a personal ticket)."""
    # A personal library does not load the team (list_tickets): reading it would query.
    if "organization_id" not in ticket.__dict__ or ticket.organization_id is None:
        return ""
    return ticket.owner.email if ticket.owner_id else ""


@register.simple_tag
def library_rows(tickets) -> str:
    """{% library_rows page.object_list %}: the library's rows (library_row.html), each
    rendered once for what it shows and then kept by the process (the "fragments" cache)."""
    cache = caches["fragments"]
    keys = [_library_row_key(ticket) for ticket in tickets]
    found = cache.get_many(keys)
    missing = {}
    for key, ticket in zip(keys, tickets, strict=True):
        if key not in found:
            found[key] = missing[key] = render_to_string(
                "tickets/partials/library_row.html", {"ticket": ticket,
                                                      "author": _author(ticket)})
    if missing:
        cache.set_many(missing, LIBRARY_ROW_SECONDS)
    return mark_safe("".join(found[key] for key in keys))  # noqa: S308 - our own templates


@register.inclusion_tag("tickets/partials/ticket_children.html", takes_context=True)
def ticket_children(context, ticket) -> dict:
    """{% ticket_children ticket %}: the live list of the ticket's split (nothing when it was
    never split)."""
    return {"ticket": ticket, "progress": selectors.get_split_progress(ticket),
            "title_level": context.get("title_level")}


@register.filter
def scorecard_text(text: str) -> str:
    """{{ rule.message|scorecard_text }}: a stored (English) scorecard label or message in the
    reader's language."""
    return quality_messages.translate(text)


@register.filter
def kind_label(value: str) -> str:
    """{{ ticket_type|kind_label }}: a ticket type's label in the reader's language."""
    kind = KINDS.get(value)
    return kind.display_label if kind else value


@register.simple_tag
def dependency_links(needs, linked: bool = True) -> str:
    """{% dependency_links needs as links %}: the tickets a ticket needs first, as
    "#1 Title, #2 Title" links (or "#1, #2" with linked=False), for a translated sentence."""
    if not linked:
        return format_html_join(", ", "#{}", ((need.position,) for need in needs))
    return format_html_join(", ", '<a href="{}">#{} {}</a>', (
        (reverse("tickets:detail", args=[need.public_id]), need.position,
         need.title or _("(being written)")) for need in needs))


@register.simple_tag
def ticket_prices() -> dict[str, int]:
    """{% ticket_prices as prices %}: tokens per quality from the price table
    (prices.standard, prices.advanced), for pages that quote them outside the generator."""
    return quotes.ticket_prices()


@register.inclusion_tag("tickets/partials/ticket_scorecard.html", takes_context=True)
def ticket_scorecard(context, ticket) -> dict:
    """{% ticket_scorecard ticket %}: the ticket's stored quality check as a compact card
    (nothing when it was never checked): the score, how many checks pass, the failing checks
    with what is wrong, and the passing ones."""
    scorecard = ticket.scorecard
    if scorecard is None:
        return {"scorecard": None}
    passing = tuple(rule for rule in scorecard.results if rule.passed)
    return {
        "ticket": ticket,
        "improvable": ticket.status == "succeeded",
        "csrf_token": context.get("csrf_token"),
        "scorecard": scorecard,
        "failing": scorecard.failing,
        "passing": passing,
        "total": len(scorecard.results),
    }


@register.inclusion_tag("tickets/partials/ticket_improve.html", takes_context=True)
def ticket_improve(context, ticket, scorecard) -> dict:
    """{% ticket_improve ticket scorecard %}: the Improve button (when checks fail and the
    price table has a price), or the running improvement's progress, or the last one's
    outcome when it did not change the ticket. No button for someone whose team role may
    not change the ticket (a viewer, another member's ticket)."""
    request = context.get("request")
    allowed = request is None or selectors.can_change_ticket(request, ticket)
    return improve_panel(ticket, scorecard=scorecard, csrf_token=context.get("csrf_token"),
                         allowed=allowed)


def improve_panel(ticket, *, scorecard, csrf_token=None, error: str = "",
                  allowed: bool = True) -> dict:
    """The Improve panel's context: shared by the tag and the views that swap the panel."""
    improvement = selectors.get_latest_improvement(ticket)
    return {
        "ticket": ticket,
        "improvement": improvement,
        "failing": allowed and bool(scorecard and scorecard.failing),
        "cost": quotes.improve_price(ticket.quality),
        "nonce": uuid.uuid4(),
        "error": error,
        "csrf_token": csrf_token,
    }
