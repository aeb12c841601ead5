from django.conf import settings
from django.utils import translation

from config.languages import interface_codes


class UserLanguageMiddleware:
    """A signed-in person's own interface language wins over the cookie and the browser's
    Accept-Language (which LocaleMiddleware, before this one, already applied). The public
    API answers in English whatever the caller's headers say: its messages are a contract
    that scripts match on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and user.language and user.language in interface_codes():
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
