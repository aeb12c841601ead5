from django import template

from tickets import quotes

register = template.Library()


@register.simple_tag
def ticket_prices() -> dict[str, int]:
    """{% ticket_prices as prices %}: tokens per quality from the price table
    (prices.standard, prices.advanced), for pages that quote them outside the generator."""
    return quotes.ticket_prices()


@register.inclusion_tag("tickets/partials/ticket_scorecard.html")
def ticket_scorecard(ticket) -> dict:
    """{% ticket_scorecard ticket %}: the ticket's stored quality check as a compact card
    (nothing when it was never checked): the score, how many checks pass, the failing checks
    with what is wrong, and the passing ones."""
    scorecard = ticket.scorecard
    if scorecard is None:
        return {"scorecard": None}
    passing = tuple(rule for rule in scorecard.results if rule.passed)
    return {
        "ticket": ticket,
        "scorecard": scorecard,
        "failing": scorecard.failing,
        "passing": passing,
        "total": len(scorecard.results),
    }
