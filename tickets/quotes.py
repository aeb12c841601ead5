"""What a ticket generation costs this request, before anything is reserved.

The one place tickets read the price table (`tokens` owns it; staff edit it): the generator
shows every quality's price from `ticket_prices`, and `request_ticket_generation` charges
`ticket_price`; "Improve" costs `improve_price`. Reads only.
"""

from dataclasses import dataclass

from django.http import HttpRequest

from accounts.selectors import get_display_balance
from tickets.models import Quality
from tokens.exceptions import UnknownPrice
from tokens.selectors import active_prices, get_price


def price_key(quality: str) -> str:
    return f"ticket.{quality}"


def ticket_price(quality: str) -> int:
    """Tokens a ticket of `quality` costs; raises UnknownPrice when it has no active price."""
    return get_price(price_key(quality)).tokens


def epic_price_key(quality: str) -> str:
    return f"ticket.epic.{quality}"


def child_price_key(quality: str) -> str:
    """Each story of an epic, or sub-task of a story: one hold of this price per child."""
    return f"ticket.epic_child.{quality}"


@dataclass(frozen=True)
class SplitPrice:
    """What a split reserves: the parent's own price (an epic's; 0 when splitting a finished
    story) and one hold of `each` per possible child."""

    own: int
    each: int
    max_children: int

    @property
    def most(self) -> int:
        return self.own + self.each * self.max_children


def split_price(quality: str, *, max_children: int, with_epic: bool) -> SplitPrice:
    """Raises UnknownPrice when a price it needs is not active."""
    own = get_price(epic_price_key(quality)).tokens if with_epic else 0
    return SplitPrice(own=own, each=get_price(child_price_key(quality)).tokens,
                      max_children=max_children)


def split_prices(max_children: int) -> dict[str, SplitPrice]:
    """An epic's prices with up to `max_children` stories, per quality that has both prices
    active."""
    found = active_prices()
    return {q: SplitPrice(own=found[epic_price_key(q)].tokens,
                          each=found[child_price_key(q)].tokens, max_children=max_children)
            for q in Quality.values
            if epic_price_key(q) in found and child_price_key(q) in found}


def epic_prices(max_children: int) -> dict[str, int]:
    """The most an epic with up to `max_children` stories reserves, per quality."""
    return {q: price.most for q, price in split_prices(max_children).items()}


def improve_price_key(quality: str) -> str:
    return f"ticket.improve.{quality}"


def improve_price(quality: str) -> int | None:
    """Tokens "Improve" costs on a ticket of `quality`; None when it has no active price (the
    button is not offered)."""
    try:
        return get_price(improve_price_key(quality)).tokens
    except UnknownPrice:
        return None


def ticket_prices() -> dict[str, int]:
    """Tokens per quality, for the qualities that have an active price."""
    found = active_prices()
    return {q: found[price_key(q)].tokens for q in Quality.values if price_key(q) in found}


@dataclass(frozen=True)
class GenerationQuote:
    """The prices and balance the generator shows, and what they mean for one quality."""

    prices: dict[str, int]  # quality -> tokens; a quality without an active price is missing
    balance: int  # the balance the header shows this request
    quality: str = Quality.STANDARD
    # An epic's quote: the prices are the most it reserves, with up to this many stories.
    max_children: int | None = None

    @property
    def cost(self) -> int | None:
        """None when `quality` cannot be bought right now."""
        return self.prices.get(self.quality)

    @property
    def not_enough(self) -> bool:
        return self.cost is not None and self.balance < self.cost

    @property
    def pays_for_nothing(self) -> bool:
        """The balance is short of every price: the generator offers a way to get tokens
        instead of a Generate button that cannot work."""
        return bool(self.prices) and self.balance < min(self.prices.values())

    @property
    def needs_confirmation(self) -> bool:
        """Ask before spending more than one token, or the last ones."""
        return self.cost is not None and (self.cost > 1 or self.balance == self.cost)


def quote_generation(request: HttpRequest, *, quality: str = Quality.STANDARD,
                     max_children: int | None = None) -> GenerationQuote:
    """The quote for a `quality` ticket on this request (an epic's with up to `max_children`
    stories, when given): prices read once, the shown balance."""
    prices = ticket_prices() if max_children is None else epic_prices(max_children)
    return GenerationQuote(prices=prices, balance=get_display_balance(request), quality=quality,
                           max_children=max_children)
