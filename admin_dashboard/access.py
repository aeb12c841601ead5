"""Who may open staff pages: the dashboard here and the Django admin (`admin_site`), both by
the one rule `accounts.selectors.staff_can_open_dashboard`.

Staff who lack only MFA are sent to set it up, with a message saying why. Anyone else gets a
404 on the dashboard, so its URL is not revealed.
"""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_noop

from accounts.selectors import staff_can_open_dashboard

MFA_NEEDED = gettext_noop(
    "Staff pages need two-factor authentication. Set up an authenticator app or a passkey "
    "here, then open the page again."
)


def lacks_only_mfa(user) -> bool:
    """For a user the rule turned away: True when they are active staff, so the missing
    second factor is the reason."""
    return user.is_authenticated and user.is_active and user.is_staff


def mfa_setup_redirect(request):
    messages.error(request, gettext(MFA_NEEDED))
    return redirect("mfa_index")


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if staff_can_open_dashboard(request.user):
            return view(request, *args, **kwargs)
        if lacks_only_mfa(request.user):
            return mfa_setup_redirect(request)
        raise Http404

    return wrapper
