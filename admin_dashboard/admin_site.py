"""The Django admin at /admin/ obeys the dashboard's staff rule and signs in through allauth.

Django's admin checks only `is_staff` and `is_active`, so a superuser without MFA would open
the more powerful of the two staff sites; and its own login form takes a password alone,
which skips allauth's second factor. `guard_admin_site` (called from this app's `ready()`)
puts the dashboard's rule on the admin, replaces its login page by allauth's, and refuses
NUL in the query values its lists turn into lookups.
"""

from functools import wraps

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors import staff_can_open_dashboard
from admin_dashboard.access import lacks_only_mfa, mfa_setup_redirect


def _has_permission(request) -> bool:
    return staff_can_open_dashboard(request.user)


def _login(request, extra_context=None):
    """Where the admin sends everyone it turns away (`?next=` the page they asked for)."""
    user = request.user
    if not user.is_authenticated:
        # allauth checks `next` is on this site before following it.
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        return redirect_to_login(next_url, settings.LOGIN_URL)
    if staff_can_open_dashboard(user):
        return redirect("admin:index")
    if lacks_only_mfa(user):
        return mfa_setup_redirect(request)
    raise Http404


def _refuse_nul(view):
    """Admin lists turn query parameters into lookups, and PostgreSQL text cannot hold NUL
    (a DataError, a 500): such a request is refused before any query."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("Null characters are not allowed.")
        return view(request, *args, **kwargs)

    return wrapper


def guard_admin_site(site: AdminSite) -> None:
    site.has_permission = _has_permission
    site.login = _login
    admin_view = site.admin_view
    site.admin_view = lambda view, cacheable=False: admin_view(_refuse_nul(view), cacheable)
