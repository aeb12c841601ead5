from django import template

from tickets import quotes

register = template.Library()


@register.simple_tag
def ticket_prices() -> dict[str, int]:
    """{% ticket_prices as prices %}: tokens per quality from the price table
    (prices.standard, prices.advanced), for pages that quote them outside the generator."""
    return quotes.ticket_prices()
