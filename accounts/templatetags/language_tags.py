"""{{ label|in_sentence }}: a label (a role, a ticket type, a status) as a word inside a
translated sentence: lower-cased, except in the languages that capitalise every noun."""

from django import template
from django.utils.translation import get_language

register = template.Library()

# Interface languages whose nouns keep their capital inside a sentence.
CAPITALISED_NOUNS = ("de",)


@register.filter
def in_sentence(label) -> str:
    text = str(label)
    if (get_language() or "").split("-")[0] in CAPITALISED_NOUNS:
        return text
    return text.lower()
