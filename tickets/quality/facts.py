"""The concrete facts of a description, and whether a ticket's text carries them.

A fact is what a tester needs to check the work and what a rewrite must not lose:
- a quoted text (an error message, a button label): "Something went wrong", 'Pay now';
- a number with its unit: 2MB == 2 MB, 30 seconds == 30 s, 3.12, 10,000 == 10000, 400€;
- a name: a platform (iOS, Safari, Android), a CamelCase or ALLCAPS token (BookingForm, CSV,
  AWS, S3), and in English a capitalised word inside a sentence (Zendesk, Apple Pay). German
  capitalises every noun, so in other languages only the first kinds count.
Adjacent name words form one fact ("Apple Pay", "iOS Safari", "HMAC-SHA256"), matched when
all its words appear, in any order. The environment of a bug is the subset that says where it
happens: platforms, the version or model after one ("Firefox 128", "Pixel 7"), app versions
("version 3.8.1", "release 4.2.0") and "on staging" / "in production".
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from tickets.quality.text import normalise, singular, word_set, words

# (opening character, pattern): a pattern runs only on text that has its opening character.
_QUOTE_RES = (
    ('"', re.compile(r'"([^"\n]{1,200})"')),
    ("“", re.compile(r"“([^”\n]{1,200})”")),
    ("„", re.compile(r"„([^“”\n]{1,200})[“”]")),
    ("«", re.compile(r"«\s?([^»\n]{1,200}?)\s?»")),
    ("`", re.compile(r"`([^`\n]{1,200})`")),
    ("‘", re.compile(r"‘([^’\n]{1,200})’")),
    # Single quotes only around words, so the apostrophes of "can't" or "users'" open nothing.
    ("'", re.compile(r"(?<!\w)'([^'\n]{1,120}?)'(?!\w)")),
)
_DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DIGIT_RE = re.compile(r"\d")
_UNITS = {
    "kb": "kb", "kib": "kb", "mb": "mb", "mib": "mb", "megabyte": "mb", "megabytes": "mb",
    "gb": "gb", "gib": "gb", "gigabyte": "gb", "gigabytes": "gb", "tb": "tb",
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d", "week": "w", "weeks": "w",
    "month": "mo", "months": "mo", "year": "y", "years": "y", "yr": "y", "yrs": "y",
    "px": "px", "pixel": "px", "pixels": "px", "%": "%", "percent": "%",
    "x": "x", "k": "k", "fps": "fps", "dpi": "dpi",
    "€": "eur", "eur": "eur", "euro": "eur", "euros": "eur",
    "$": "usd", "usd": "usd", "dollar": "usd", "dollars": "usd", "£": "gbp", "gbp": "gbp",
}
_UNIT_PATTERN = "|".join(sorted((re.escape(unit) for unit in _UNITS), key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"(?<![\w.,:])(?P<currency>[$€£]\s?)?(?P<value>\d+(?:[.,:]\d+)*)"
    rf"(?:\s?(?P<unit>{_UNIT_PATTERN})(?![\w$€£%]))?(?![\w$€£%])",
    re.IGNORECASE,
)
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+$")

# Platform names (casefolded); the ones that are also ordinary English words count only when
# capitalised ("Edge", not "an edge case").
PLATFORMS = word_set("""
    ios ipados android windows macos mac linux ubuntu chromeos chrome chromium firefox safari
    edge opera brave iphone ipad pixel samsung galaxy huawei xiaomi oneplus kindle
""")
_CAPITALISED_ONLY = word_set("windows edge mac opera brave pixel galaxy")

_CAMEL_RE = re.compile(r"^(?:[a-z]+[A-Z]|[A-Z][a-z0-9]+[A-Z])\w*$")
_ACRONYM_RE = re.compile(r"^[A-Z][A-Z0-9]{1,6}s?$")
_CAPITALISED_RE = re.compile(r"^[A-Z][a-z]")
_NOT_ACRONYMS = word_set("""
    I OK ASAP FYI TODO TBD ETA BTW IMO PLS PLZ URGENT NB PS AM PM EOD AFAIK IIRC HELP BUG FIX
    NOTE WIP NOT AND OR THE IT IS
""")
# Capitalised for other reasons than being a name.
_NOT_NAMES = word_set("""
    i i'm i've i'd i'll monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december given when
    then and but please thanks hello hi
""")
_TOKEN_RE = re.compile(r"[\w'’]+")
_SENTENCE_END = ".!?:;\n"
_VERSION_RE = re.compile(
    r"\b(?:version|release|build|v)\s?(\d+(?:\.\d+)*)\b|\b(\d+(?:\.\d+)+)\s+(?:version|release|build)\b"
    r"|\b(?:on|in)\s+(staging|production)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Fact:
    label: str  # as the description writes it, for the message
    kind: str  # quote | number | name
    key: tuple  # quote: (text,); number: (value, unit); name: its singular words


def _number_key(match: re.Match) -> tuple[str, str]:
    value = match.group("value")
    if _THOUSANDS_RE.match(value):
        value = value.replace(",", "")
    unit = match.group("unit") or match.group("currency") or ""
    return value, _UNITS.get(unit.strip().casefold(), "")


def _without_quotes(text: str) -> tuple[str, list[str]]:
    quotes = []
    for opening, pattern in _QUOTE_RES:
        if opening in text:
            quotes += pattern.findall(text)
            text = pattern.sub(" ", text)
    return text, quotes


def _is_platform(token: str) -> bool:
    word = token.casefold()
    return word in PLATFORMS and (word not in _CAPITALISED_ONLY or token[0].isupper())


def _names_something(token: str, gap: str, previous: str, *, english: bool) -> bool:
    """Whether a word with a capital letter is a name, given the text between it and the
    previous word (`gap`) and that word."""
    if _CAMEL_RE.match(token):
        return True
    if _ACRONYM_RE.match(token):
        # "2 MB" is a number's unit, not a name.
        return token.rstrip("s") not in _NOT_ACRONYMS and not (
            previous[:1].isdigit() and not gap.strip())
    starts_sentence = not previous or any(char in _SENTENCE_END for char in gap)
    return (english and not starts_sentence and bool(_CAPITALISED_RE.match(token))
            and token.casefold() not in _NOT_NAMES)


def _name_tokens(text: str, *, english: bool) -> list[tuple[int, int, str]]:
    """(start, end, token) of every word that names something (see the module docstring)."""
    # A description in capitals throughout has no names to tell apart.
    shouting = text.upper() == text
    names = []
    previous_end, previous = 0, ""
    for match in _TOKEN_RE.finditer(text):
        token, start, end = match.group(), match.start(), match.end()
        if token.islower() or token.isdigit():  # most words: only a platform may name here
            if token in PLATFORMS and token not in _CAPITALISED_ONLY:
                names.append((start, end, token))
        elif _is_platform(token) or (not shouting and _names_something(
                token, text[previous_end:start], previous, english=english)):
            names.append((start, end, token))
        previous_end, previous = end, token
    return names


def _name_facts(text: str, *, english: bool) -> list[Fact]:
    """Name words, adjacent ones (a space or a hyphen apart) joined into one fact."""
    facts: list[Fact] = []
    phrase: list[tuple[int, int, str]] = []
    for start, end, token in [*_name_tokens(text, english=english), (-1, -1, "")]:
        if phrase and (start < 0 or text[phrase[-1][1] : start] not in (" ", "-")):
            label = text[phrase[0][0] : phrase[-1][1]]
            facts.append(Fact(label, "name", tuple(singular(w) for w in words(label))))
            phrase = []
        phrase.append((start, end, token))
    return facts


def description_facts(description: str, *, english: bool) -> list[Fact]:
    """The description's facts, each once, in the order it gives them."""
    text, quotes = _without_quotes(description)
    facts = [Fact(quote, "quote", (normalise(quote),)) for quote in quotes if normalise(quote)]
    facts += [Fact(date, "number", (date, "")) for date in _DATE_RE.findall(text)]
    text = _DATE_RE.sub(" ", text)
    facts += [Fact(match.group().strip(), "number", _number_key(match))
              for match in _NUMBER_RE.finditer(text)]
    facts += _name_facts(text, english=english)
    unique: dict[tuple, Fact] = {}
    for fact in facts:
        unique.setdefault((fact.kind, fact.key), fact)
    return list(unique.values())


def environment(description: str) -> list[Fact]:
    """Where the description says a bug happens: platforms, versions and models after them,
    app versions, "on staging" / "in production" (see the module docstring)."""
    found: list[Fact] = []
    tokens = list(_TOKEN_RE.finditer(description))
    for index, match in enumerate(tokens):
        if not _is_platform(match.group()):
            continue
        found.append(Fact(match.group(), "name", (singular(match.group().casefold()),)))
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (following and description[match.end() : following.start()] == " "
                and any(char.isdigit() for char in following.group())):
            version = _NUMBER_RE.fullmatch(description, following.start(), following.end())
            key = _number_key(version) if version else (following.group().casefold(), "")
            found.append(Fact(following.group(), "number", key))
    for match in _VERSION_RE.finditer(description):
        version = match.group(1) or match.group(2)
        if version:
            found.append(Fact(version, "number", (version, "")))
        else:
            found.append(Fact(match.group(3), "name", (match.group(3).casefold(),)))
    unique: dict[tuple, Fact] = {}
    for fact in found:
        unique.setdefault((fact.kind, fact.key), fact)
    return list(unique.values())


class FactIndex:
    """What some parts of a ticket say, ready for `carries(fact)`. `words_of` splits a part
    into words (the checked ticket's, which computes each part's words once)."""

    def __init__(self, parts: list[str], words_of: Callable[[str], list[str]] = words):
        self.parts = parts
        self.words_of = words_of

    @cached_property
    def _normalised(self) -> str:
        # Parts apart, so that a quote is never found across two of them.
        return " | ".join(["", *(" ".join(self.words_of(part)) for part in self.parts), ""])

    @cached_property
    def _words(self) -> set[str]:
        found = set()
        for part in self.parts:
            found.update(self.words_of(part))
        # "v4.2.0" carries the version 4.2.0.
        found.update([word[1:] for word in found if word[:1] == "v" and word[1:2].isdigit()])
        return found

    @cached_property
    def _singular_words(self) -> set[str]:
        return {singular(word) for word in self._words}

    def _has_word(self, word: str) -> bool:
        return word in self._words or word in self._singular_words

    @cached_property
    def _numbers(self) -> tuple[set[tuple[str, str]], set[str]]:
        pairs = set()
        for part in self.parts:
            if not _DIGIT_RE.search(part):
                continue
            pairs.update((date, "") for date in _DATE_RE.findall(part))
            pairs.update(_number_key(match)
                         for match in _NUMBER_RE.finditer(_DATE_RE.sub(" ", part)))
        return pairs, {value for value, _ in pairs}

    def carries(self, fact: Fact) -> bool:
        if fact.kind == "quote":
            return f" {fact.key[0]} " in self._normalised
        if fact.kind == "number":
            value, unit = fact.key
            pairs, values = self._numbers
            return (value, unit) in pairs if unit else (value in values or self._has_word(value))
        return all(self._has_word(word) for word in fact.key)
