from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import DeleteAccountForm, TimeZoneForm
from accounts.languages.forms import LanguageForm
from accounts.notifications.selectors import email_preferences
from accounts.notifications.sign_ins import list_sign_ins
from accounts.teams.services import TeamError
from tokens.exceptions import PendingHolds


@require_GET
@never_cache
def balance_badge(request):
    """The header balance fragment, re-fetched by htmx on `tokens-changed`."""
    return render(
        request,
        "accounts/partials/balance_badge.html",
        {
            "header_balance": selectors.get_header_balance(request),
            "welcome_tokens": selectors.welcome_tokens(),
        },
    )


@login_required
@require_GET
def account_settings(request):
    return _settings_page(request)


def _settings_page(request, *, time_zone_form: TimeZoneForm | None = None,
                   language_form: LanguageForm | None = None, status: int = 200):
    user = request.user
    context = {
        "language_form": language_form or LanguageForm(initial={
            "language": user.language, "ticket_language": user.ticket_language}),
        "time_zone_form": time_zone_form or TimeZoneForm(initial={"time_zone": user.time_zone}),
        "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "social_accounts": SocialAccount.objects.filter(user=user),
        "has_password": user.has_usable_password(),
        "has_mfa": selectors.user_has_mfa(user),
        "session_count": UserSession.objects.filter(user=user).count(),
        "header_balance": selectors.get_header_balance(request),
        "email_preferences": email_preferences(user),
        "sign_ins": list_sign_ins(user),
    }
    return render(request, "accounts/settings.html", context, status=status)


@login_required
@require_POST
def update_time_zone(request):
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Your time zone was not changed: choose one from the list."))
        return _settings_page(request, time_zone_form=form, status=400)
    services.set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
    messages.success(request, _("Your time zone is now %(time_zone)s.")
                     % {"time_zone": form.cleaned_data["time_zone"]})
    return redirect("accounts:settings")


@login_required
@reauthentication_required  # before the form is shown, not after it is sent
@require_http_methods(["GET", "POST"])
def delete_account(request):
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_user_account(user=user)
        except TeamError as error:
            form.add_error(None, error.message)
            return render(request, "accounts/delete.html", {"form": form})
        except PendingHolds:
            form.add_error(
                None,
                _("A ticket is still being generated with your tokens. Wait until it is ready "
                  "(usually under a minute), then delete your account."),
            )
            return render(request, "accounts/delete.html", {"form": form})
        logout(request)
        messages.success(request, _("Your account has been deleted and you have been signed out."))
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
@require_POST
def end_session(request, session_id: int):
    """Ends one of the user's other sessions (the list is allauth's usersessions page)."""
    if services.end_user_session(user=request.user, session_id=session_id):
        messages.success(request, _("That session has been signed out."))
    else:
        messages.error(request, _("That session no longer exists."))
    return redirect("usersessions_list")


@login_required
@require_GET
def welcome(request):
    """The first-time welcome again, from the account menu: how tokens work."""
    return render(request, "accounts/welcome.html", {
        "welcome": selectors.get_welcome(request.user),
        # The page is the welcome: the panel every page shows until it is put away stays off.
        "welcome_page": True,
    })


@login_required
@require_POST
def dismiss_welcome(request):
    """Put the welcome away for good. htmx swaps the panel for a line saying where to find it
    again; without JavaScript the page the user was on comes back without it."""
    services.dismiss_welcome(user=request.user)
    if request.htmx:
        return render(request, "accounts/partials/welcome.html#dismissed")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    return redirect(next_url)
