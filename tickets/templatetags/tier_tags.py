"""`{% tiers as tiers %}`: the tiers on sale with their price and purpose (tickets/tiers.py),
for the generator and for the pricing page (which may not import the tickets app)."""

from django import template

from tickets.models.splits import MAX_CHILDREN
from tickets.quotes import split_prices
from tickets.tiers import list_tiers

register = template.Library()


@register.simple_tag
def tiers(prices=None):
    """The tiers with an active price; `prices` (quality -> tokens) when the view has read
    them already."""
    return list_tiers(prices)


@register.simple_tag
def epic_prices():
    """`{% epic_prices as epics %}`: per quality on sale, what an epic costs and what each of
    its stories costs (`SplitPrice`: own, each, most with up to MAX_CHILDREN stories)."""
    return split_prices(MAX_CHILDREN)
