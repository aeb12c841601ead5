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


def quote_generation(request: HttpRequest, *, quality: str = Quality.STANDARD) -> GenerationQuote:
    """The quote for a `quality` ticket on this request: prices read once, the shown balance."""
    return GenerationQuote(
        prices=ticket_prices(), balance=get_display_balance(request), quality=quality
    )
