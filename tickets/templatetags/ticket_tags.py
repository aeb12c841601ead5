import uuid

from django import template

from tickets import quotes, selectors

register = template.Library()


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
    outcome when it did not change the ticket."""
    return improve_panel(ticket, scorecard=scorecard, csrf_token=context.get("csrf_token"))


def improve_panel(ticket, *, scorecard, csrf_token=None, error: str = "") -> dict:
    """The Improve panel's context: shared by the tag and the views that swap the panel."""
    improvement = selectors.get_latest_improvement(ticket)
    return {
        "ticket": ticket,
        "improvement": improvement,
        "failing": bool(scorecard and scorecard.failing),
        "cost": quotes.improve_price(ticket.quality),
        "nonce": uuid.uuid4(),
        "error": error,
        "csrf_token": csrf_token,
    }
