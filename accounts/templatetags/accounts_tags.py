from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from accounts import wording
from accounts.notifications.selectors import list_banner_alerts
from accounts.selectors import get_header_balance, welcome_tokens

register = template.Library()


@register.inclusion_tag("accounts/partials/balance_badge.html", takes_context=True)
def balance_badge(context):
    """The header's balance, rendered with the page (no extra request)."""
    request = context.get("request")
    if request is None:
        return {}
    return {"header_balance": get_header_balance(request), "welcome_tokens": welcome_tokens()}


_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


@register.filter
def device_label(user_agent: str) -> str:
    """A short "Browser on System" for a session list; the full user agent goes in a title."""
    user_agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or (user_agent[:40] or _("Unknown browser"))


@register.filter(is_safe=True)
def sentence_case(text):
    """allauth's Title Case text in sentence case (see accounts.wording)."""
    return wording.sentence_case(text)


@register.filter
def with_sentence_case_placeholder(field):
    """A form field's widget, its placeholder in sentence case: allauth repeats a field's
    Title Case label there ("Current Password")."""
    placeholder = field.field.widget.attrs.get("placeholder")
    if not placeholder:
        return field
    return field.as_widget(attrs={"placeholder": wording.sentence_case(str(placeholder))})


@register.simple_tag
def support_email() -> str:
    return settings.SUPPORT_EMAIL


@register.inclusion_tag("accounts/partials/alert_banners.html", takes_context=True)
def alert_banners(context):
    """A signed-in user's token alerts (low balance, running out, expiring), each
    dismissable; nothing for visitors. One query, on the pages where tokens are spent."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"alerts": list_banner_alerts(user), "next": request.get_full_path()}
