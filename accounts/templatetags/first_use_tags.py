from django import template

from accounts import selectors

register = template.Library()


@register.inclusion_tag("accounts/partials/welcome.html", takes_context=True)
def welcome_panel(context):
    """The first-time welcome on every page until the user puts it away (base.html). Not on
    the welcome's own page, which shows it whole."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if context.get("welcome_page") or not selectors.needs_welcome(user):
        return {}
    return {
        "welcome": selectors.get_welcome(user),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def free_tokens():
    """{% free_tokens as free %}: what trying MyBA gives for free (free.visitor without an
    account, free.welcome on signing up), for pages that promise it."""
    return selectors.get_free_tokens()


@register.simple_tag(takes_context=True)
def browser_standing(context):
    """{% browser_standing as standing %}: where this browser stands with tokens
    (accounts.selectors.HeaderBalance), for pages whose promises depend on it."""
    return selectors.get_header_balance(context["request"])
