"""Who may open the staff dashboard. Everyone else gets a 404, so the URL is not revealed."""

from functools import wraps

from django.conf import settings
from django.http import Http404

from accounts.selectors import user_has_mfa


def dashboard_requires_mfa() -> bool:
    """On by default whenever DEBUG is off; `make run` may turn it off for the demo staff."""
    return settings.DASHBOARD_REQUIRE_MFA


def can_open_dashboard(user) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user_has_mfa(user) or not dashboard_requires_mfa()


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_open_dashboard(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
