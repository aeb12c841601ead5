from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts.languages import services
from accounts.languages.forms import LanguageForm
from config.languages import interface_codes


@require_POST
def switch_language(request):
    """The footer's switcher: Django's set_language (the cookie, then back to `next`), and
    for a signed-in person their saved interface language too, so it follows them."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in interface_codes():
        services.set_interface_language(user=request.user, language=language)
    return response


@login_required
@require_POST
def update_languages(request):
    """The settings page's Language card."""
    from accounts.views import _settings_page

    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Your languages were not changed: choose them from the lists."))
        return _settings_page(request, language_form=form, status=400)
    language = form.cleaned_data["language"]
    services.set_languages(user=request.user, language=language,
                           ticket_language=form.cleaned_data["ticket_language"])
    translation.activate(language or translation.get_language_from_request(request))
    messages.success(request, _("Your language settings are saved."))
    response = redirect("accounts:settings")
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    return response
