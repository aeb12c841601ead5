from django import template

register = template.Library()


@register.filter
def cents(value) -> str:
    """An amount in the smallest currency unit shown as dollars: 1999 -> $19.99."""
    if value in (None, ""):
        return "—"
    return f"${int(value) / 100:,.2f}"
