"""Money as people read it: the one place that turns an amount into text.

Amounts are kept as integers in the currency's smallest unit (cents), as Stripe sends them.
"""

from decimal import Decimal

from django.utils.formats import number_format

DEFAULT_CURRENCY = "usd"
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
MAX_PLACES = 4


def major_units(amount: int | Decimal) -> Decimal:
    """An amount in the smallest unit, in the main unit: 1999 -> Decimal("19.99")."""
    return Decimal(amount) / 100


def format_money(amount: int | Decimal | None, currency: str = DEFAULT_CURRENCY, *,
                 localize: bool = False) -> str:
    """2000 -> "$20.00", -500 -> "-$5.00", (2000, "chf") -> "20.00 CHF"; None -> "—".

    A fraction of the smallest unit keeps its digits (up to MAX_PLACES), so a per-token price
    of 0.5 cents reads "$0.005", not "$0.01". With `localize` (pages) the number takes the
    active language's separators ("$1.234,50" in German); the symbol or code stays as is.
    """
    if amount is None or amount == "":
        return "—"
    value = major_units(amount)
    exponent = value.normalize().as_tuple().exponent
    places = min(max(2, -exponent), MAX_PLACES)
    text = f"{abs(value):,.{places}f}"
    if localize:
        # Rounded here as above, then only the separators change with the language.
        text = number_format(Decimal(f"{abs(value):.{places}f}"), decimal_pos=places,
                             use_l10n=True, force_grouping=True)
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get((currency or "").lower())
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {(currency or '').upper()}"
