"""A person's languages: the interface's (else the browser's, else English) and the one their
tickets are written in (else the interface's). The footer's switcher and the settings page
write them; the middleware applies the interface language to each of their requests."""

from django.conf import settings
from django.utils import translation

from config.languages import interface_codes


def language_of(user) -> str:
    """The language to write to `user` in where no request says which (emails sent by
    workers): their interface language setting, else English."""
    code = getattr(user, "language", "") if user is not None else ""
    return code if code in interface_codes() else settings.LANGUAGE_CODE


def in_language_of(user) -> translation.override:
    """`with in_language_of(user):` renders subjects and templates in their language."""
    return translation.override(language_of(user))
