"""The languages people choose: the interface's (settings.LANGUAGES) and the wider set tickets
can be written in. One table, read by the settings form, the submit (which stores a ticket's
language) and the prompt (which names it to the model)."""

from django.conf import settings
from django.utils.translation import get_language_info

# Code -> the name the model is told ("Write every field in Spanish"). The interface's
# languages first, then languages the models write well that the interface does not offer.
TICKET_LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "ar": "Arabic",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ja": "Japanese",
    "zh-hans": "Simplified Chinese",
}


def interface_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def interface_choices() -> list[tuple[str, str]]:
    return [(code, local_name(code)) for code in interface_codes()]


def local_name(code: str) -> str:
    """The language's name in itself ("Español"), as a chooser lists it."""
    name = get_language_info(code)["name_local"]
    return name[:1].upper() + name[1:]


def ticket_language_choices() -> list[tuple[str, str]]:
    return [(code, local_name(code)) for code in TICKET_LANGUAGES]


def prompt_name(code: str) -> str:
    """The English name the model is told; an unknown code counts as English."""
    return TICKET_LANGUAGES.get(code, "English")


def is_rtl(code: str) -> bool:
    return get_language_info(code)["bidi"]
