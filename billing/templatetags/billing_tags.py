from django import template

from billing.money import DEFAULT_CURRENCY, format_money
from billing.subscription_selectors import get_cached_billing_alert

register = template.Library()


@register.filter
def money(amount, currency=DEFAULT_CURRENCY):
    """An amount in the smallest currency unit: {{ 2000|money:"usd" }} -> "$20.00"
    (the number in the active language's format: "$20,00" in German)."""
    return format_money(amount, currency, localize=True)


@register.inclusion_tag("billing/partials/billing_alert.html", takes_context=True)
def billing_alert(context):
    """The banner for a plan whose renewal failed (past due), on every page of its owner."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.token_account_id:
        return {"alert": None}
    return {"alert": get_cached_billing_alert(user.token_account_id)}
