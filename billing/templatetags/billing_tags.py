from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


@register.filter
def money(cents, currency="usd"):
    """Format an amount in the smallest currency unit: 2000|money:"usd" -> "$20.00"."""
    if cents is None:
        return ""
    amount = Decimal(cents) / 100
    symbol = SYMBOLS.get((currency or "").lower())
    if symbol:
        return f"{symbol}{amount:,.2f}"
    return f"{amount:,.2f} {(currency or '').upper()}"


@register.filter
def cents(value):
    """Format a fractional number of cents: Decimal("40.0") -> "40¢"."""
    value = Decimal(value).normalize()
    return f"{value:f}¢"
