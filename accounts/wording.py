"""allauth's wording in the house style: sentence case ("Sign up", "Verify your email
address"), where allauth writes Title Case ("Sign Up", "Verify Your Email Address").

Applied where allauth's text reaches people: the heading, button, panel and field-label
elements (templates/allauth/elements/), page titles (templates/allauth/layouts/base.html)
and email subjects (accounts.adapters.AccountAdapter). Rewriting the rendered text in those
few places covers every allauth page and email, including ones added by later allauth
versions, without copying each of their templates.

Only English is rewritten: allauth's catalogues for other languages already follow their
language's own capitalization (German capitalizes every noun), which lowercasing would break.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import get_language

# Markup is copied as it is; only the text between tags is rewritten.
_TAG = re.compile(r"(<[^>]*>)")
# A word written as a capital followed only by small letters ("Sign", "Factor" in
# "Two-Factor"). Acronyms (TOTP), mixed case (GitHub, MyBA, WebAuthn) never match.
_WORD = re.compile(r"(?<![\w&#])[A-Z][a-z]+\b")


@cache
def _proper_nouns() -> frozenset[str]:
    """Names that keep their capital anywhere: the OAuth providers ("Continue with Google")."""
    from allauth.socialaccount.providers import registry

    words: set[str] = set()
    for provider in registry.get_class_list():
        words.update(str(provider.name).split())
    return frozenset(words)


def sentence_case(text: str) -> str:
    """`text` with every capitalized word lowercased except the first word of a sentence and
    proper nouns. Tags and entities are left alone, so rendered HTML may go through it (the
    template filter keeps it marked safe). Text in any other language than English is
    returned as it is."""
    if not (get_language() or "en").startswith("en"):
        return text
    parts = _TAG.split(str(text))
    seen = ""  # the text so far, without tags
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            continue

        def lower(match: re.Match, seen: str = seen, part: str = part) -> str:
            word = match.group(0)
            before = (seen + part[: match.start()]).rstrip()
            # The first word of the text and of every sentence keeps its capital.
            if not before or before[-1] in ".!?:" or word in _proper_nouns():
                return word
            return word.lower()

        parts[index] = _WORD.sub(lower, part)
        seen += part
    return "".join(parts)
