"""The generation tiers (Standard, Advanced) as the generator and the pricing page show them:
the price from the price table (`tickets.quotes.ticket_prices`), what each is for from here.

Each tier maps to models in settings (OPENROUTER_MODEL_STANDARD / _ADVANCED, with fallbacks);
a tier without an active price is not offered anywhere.
"""

from dataclasses import dataclass

from tickets.models import Quality
from tickets.quotes import ticket_prices

# What each tier is for, in the words both pages use.
TIER_PURPOSES = {
    Quality.STANDARD: "everyday tickets, fast model",
    Quality.ADVANCED: "complex features and epics, stronger model",
}


@dataclass(frozen=True)
class Tier:
    value: str
    label: str
    tokens: int
    purpose: str


def list_tiers(prices: dict[str, int] | None = None) -> list[Tier]:
    """The tiers with an active price, cheapest tier first (`prices`: quality -> tokens, as
    `ticket_prices` returns them; read from the price table when not given)."""
    prices = ticket_prices() if prices is None else prices
    return [Tier(value=quality.value, label=quality.label, tokens=prices[quality.value],
                 purpose=TIER_PURPOSES[quality])
            for quality in Quality if quality.value in prices]
