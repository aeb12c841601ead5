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
from typing import NamedTuple

from tickets.quality.lazy import lazy
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
# In normalised text (words one space apart): a word that starts with a number, what follows
# the number in it, and the next word ("2mb" -> 2, mb; "30 seconds" -> 30, "", seconds).
_WORD_NUMBER_RE = re.compile(r"(?<![^ ])(\d+(?:[.,:]\d+)*)(\w*)(?=(?: (\w+))?)")
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
# The words that may name something: those with a capital letter, and platforms written in
# lowercase ("android"; not "edge", which is a word too).
_CAPITALISED_TOKEN_RE = re.compile(r"(?<![\w'’])[\w'’]*?[A-Z][\w'’]*")
_LOWERCASE_PLATFORMS = sorted(PLATFORMS - _CAPITALISED_ONLY)
_LOWERCASE_PLATFORM_RE = re.compile(
    rf"(?<![\w'’])(?:{'|'.join(_LOWERCASE_PLATFORMS)})(?![\w'’])")
# Every platform, in lowercased text (whose case `_is_platform` then reads in the original).
_PLATFORM_RE = re.compile(rf"(?<![\w'’])(?:{'|'.join(sorted(PLATFORMS))})(?![\w'’])")
_SENTENCE_END = ".!?:;"
# The word right after a platform, when it has a digit: its version or model.
_FOLLOWING_RE = re.compile(r" ([\w'’]*\d(?:[\w'’]|\.(?=\w))*)")
# In lowercased text.
_VERSION_RE = re.compile(
    r"\b(?:version|release|build|v)\s?(\d+(?:\.\d+)*)\b|\b(\d+(?:\.\d+)+)\s+(?:version|release|build)\b"
    r"|\b(?:on|in)\s+(staging|production)\b"
)


class Fact(NamedTuple):
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


def _name_tokens(text: str, *, english: bool) -> list[tuple[int, int, str]]:
    """(start, end, token) of every word that names something (see the module docstring)."""
    # A description in capitals throughout has no names to tell apart.
    shouting = text.upper() == text
    names = []
    for match in _CAPITALISED_TOKEN_RE.finditer(text):
        token, start = match.group(), match.start()
        if _is_platform(token):
            names.append((start, match.end(), token))
            continue
        if shouting:
            continue
        # What comes before the word: the previous word's end and the gap (a line at most).
        window = text[max(0, start - 80) : start]
        before = window.rstrip()
        gap = window[len(before) :]
        if _CAMEL_RE.match(token):
            names.append((start, match.end(), token))
        elif _ACRONYM_RE.match(token):
            # "2 MB" is a number's unit, not a name.
            if token.rstrip("s") not in _NOT_ACRONYMS and not (
                    before[-1:].isdigit() and gap.strip() == ""):
                names.append((start, match.end(), token))
        elif (english and before and before[-1] not in _SENTENCE_END and "\n" not in gap
              and _CAPITALISED_RE.match(token) and token.casefold() not in _NOT_NAMES):
            names.append((start, match.end(), token))
    lowered = text.lower()
    if any(platform in lowered for platform in _LOWERCASE_PLATFORMS):  # "ios safari"
        names += [(match.start(), match.end(), match.group())
                  for match in _LOWERCASE_PLATFORM_RE.finditer(text)]
        names.sort()
    return names


def _name_facts(text: str, *, english: bool) -> list[Fact]:
    """Name words, adjacent ones (a space or a hyphen apart) joined into one fact."""
    facts: list[Fact] = []
    phrase: list[tuple[int, int, str]] = []
    for start, end, token in [*_name_tokens(text, english=english), (-1, -1, "")]:
        if phrase and (start < 0 or text[phrase[-1][1] : start] not in (" ", "-")):
            label = text[phrase[0][0] : phrase[-1][1]]
            facts.append(Fact(label, "name", tuple(singular(word) for word in words(label))))
            phrase = []
        phrase.append((start, end, token))
    return facts


def description_facts(description: str, *, english: bool) -> list[Fact]:
    """The description's facts, each once, in the order it gives them."""
    text, quotes = _without_quotes(description)
    facts = [Fact(quote, "quote", (normalise(quote),)) for quote in quotes if normalise(quote)]
    if _DIGIT_RE.search(text):
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
    lowered = description.lower()
    if len(lowered) != len(description):  # a rare letter whose lowercase is longer ("İ")
        description = lowered
    for match in _PLATFORM_RE.finditer(lowered):
        token = description[match.start() : match.end()]
        if not _is_platform(token):
            continue
        found.append(Fact(token, "name", (match.group(),)))
        following = _FOLLOWING_RE.match(description, match.end())
        if following:  # "Firefox 128", "Pixel 7", "Samsung S23"
            version = following.group(1)
            number = _NUMBER_RE.fullmatch(version)
            found.append(Fact(version, "number",
                              _number_key(number) if number else (version.casefold(), "")))
    for match in _VERSION_RE.finditer(lowered):
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
    """What some parts of a ticket say, ready for `carries(fact)`: the parts' text and their
    words (`text.words` of each, which the checked ticket has computed already)."""

    def __init__(self, parts: list[str], part_words: list[list[str]]):
        self.parts = parts
        self.part_words = part_words

    @lazy
    def _normalised(self) -> str:
        # Parts apart, so that a quote is never found across two of them.
        return " | ".join(["", *(" ".join(found) for found in self.part_words), ""])

    @lazy
    def _words(self) -> set[str]:
        found = set()
        for part in self.part_words:
            found.update(part)
        # "v4.2.0" carries the version 4.2.0.
        found.update([word[1:] for word in found if word[:1] == "v" and word[1:2].isdigit()])
        return found

    def _has_word(self, word: str) -> bool:
        """The word, in the singular or the plural ("Reports" in "… the report …")."""
        found = self._words
        return (word in found or singular(word) in found or f"{word}s" in found
                or f"{word}es" in found)

    @lazy
    def _word_numbers(self) -> set[tuple[str, str]]:
        """(value, unit) of the numbers among the words, and (value, "") of each: "2mb" and
        "2 mb" give ("2", "mb"). Cheap, as the words are there already; a currency sign or a
        date is not a word, so a fact not found here is looked for by `_numbers` too."""
        pairs = set()
        for value, attached, following in _WORD_NUMBER_RE.findall(self._normalised):
            if _THOUSANDS_RE.match(value):
                value = value.replace(",", "")
            pairs.add((value, ""))
            pairs.add((value, _UNITS.get(attached or following, "")))
        return pairs

    @lazy
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
            if fact.key in self._word_numbers:
                return True
            value, unit = fact.key
            pairs, values = self._numbers
            return (value, unit) in pairs if unit else (value in values or self._has_word(value))
        return all(self._has_word(word) for word in fact.key)
