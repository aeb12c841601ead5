"""Formatting for the prompt comparison page."""

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.1234 -> "12.3%"; "—" when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def number(value, digits: int = 0) -> str:
    """A figure with `digits` decimals; "—" when missing (an empty arm)."""
    return "—" if value is None else f"{value:,.{digits}f}"
