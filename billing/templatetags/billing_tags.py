from django import template

from billing.money import DEFAULT_CURRENCY, format_money

register = template.Library()


@register.filter
def money(amount, currency=DEFAULT_CURRENCY):
    """An amount in the smallest currency unit: {{ 2000|money:"usd" }} -> "$20.00"."""
    return format_money(amount, currency)
