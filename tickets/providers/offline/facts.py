"""The concrete facts of a description: sizes, versions, platforms, formats, messages, names.

A developer reading a ticket needs the description's specifics ("2MB", "iOS Safari", "Python
3.12", "CSV", the exact error text) in the acceptance criteria, where they become checks.
These functions find them, in the order they appear, with the user's own spelling.
"""

import re

# Platforms, browsers and devices; adjacent ones are read as one ("iOS Safari").
PLATFORM_WORDS = (
    "iOS", "iPadOS", "Android", "Windows", "macOS", "Mac", "Linux", "Ubuntu", "ChromeOS",
    "Safari", "Chrome", "Firefox", "Edge", "Opera", "Brave", "Samsung Internet",
    "Internet Explorer", "iPhone", "iPad", "Pixel", "Galaxy", "Kindle", "Apple Watch",
    "WebView", "Electron", "Teams", "Outlook", "Gmail", "Slack",
)
# Names that are never ordinary words are found in any case ("android", "ios").
_ANY_CASE = ("iOS", "iPadOS", "Android", "macOS", "Safari", "Firefox", "iPhone", "iPad",
             "ChromeOS")
_PLATFORM_RE = re.compile(
    r"\b(?:" + "|".join(f"(?i:{re.escape(word)})" if word in _ANY_CASE else re.escape(word)
                        for word in PLATFORM_WORDS)
    + r")\b(?:\s+\d+(?:\.\d+)*(?:\s+(?:and|or)\s+\d+(?:\.\d+)*)?)?",
)
# "iOS Safari", "Safari on iPhone", "Chrome 120 on Windows 11".
_ENVIRONMENT_RE = re.compile(
    rf"{_PLATFORM_RE.pattern}(?:(?:\s+|\s+(?:on|in|with)\s+(?:an?\s+|the\s+)?)"
    rf"{_PLATFORM_RE.pattern})*"
)
# Lower-case environments a bug report names: "on mobile", "on staging".
_PLACE_ENVIRONMENT_RE = re.compile(
    r"\b(?:on|in)\s+(?:the\s+)?(?P<env>(?:mobile|desktop|tablet)(?:\s+(?:app|web|browser|site))?"
    r"|staging|production|prod|dark mode|the mobile app|the desktop app|low bandwidth)\b",
    re.IGNORECASE,
)
FORMATS = ("CSV", "PDF", "JSON", "XML", "XLSX", "XLS", "Excel", "PNG", "JPG", "JPEG", "GIF",
           "SVG", "HEIC", "WebP", "MP4", "MP3", "ZIP", "ICS", "iCal", "Markdown", "HTML", "YAML",
           "QR code", "SMS", "SSO", "SAML", "OAuth", "2FA", "TOTP", "API", "REST", "GraphQL",
           "webhook")
_FORMAT_RE = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in FORMATS) + r")s?\b",
                        re.IGNORECASE)
_UNIT = (r"(?:[KMGT]i?B|kb|mb|gb|tb|ms|s|sec|secs|seconds?|minutes?|mins?|hours?|hrs?|h|days?|"
         r"weeks?|months?|years?|px|pt|em|rem|%|x|k|fps|dpi|rpm|rps|req/s|requests?|users?|"
         r"items?|rows?|records?|files?|pages?|characters?|chars?|digits?|times|attempts?|"
         r"tries|orders?|emails?|messages?|results?|products?|invoices?|steps?|clicks?|"
         r"seats?|members?|people|tickets?|columns?|lines?|entries|tokens?|km|m|miles?|kg|"
         r"USD|EUR|GBP|€|\$|£)")
_NUMBER_RE = re.compile(
    rf"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?)"  # $50, €1,200
    rf"|\b\d[\d,]*(?:\.\d+)*\s?{_UNIT}(?![A-Za-z])"  # 2MB, 30 seconds, 10 items
    rf"|\b(?:error|code|status|http|v|version)\s?\d+(?:\.\d+)*\b"  # error 500, v2.3
    rf"|\b\d{{3}}\s(?:error|errors|status|page)\b",  # 500 error
    re.IGNORECASE,
)
# "Python 3.9", "PostgreSQL 13", "Node 18", "Django 5.2", "iOS 17".
_VERSION_RE = re.compile(r"\b[A-Z][A-Za-z+#.]*\s\d+(?:\.\d+)+\b|\b[A-Z][A-Za-z+#]+\s\d+\b")
_BARE_VERSION_RE = re.compile(r"(?<![\w.])\d+\.\d+(?:\.\d+)?(?![\w.])")
_QUOTED_RE = re.compile(r"[\"“”]([^\"“”]{2,80})[\"“”]|(?<![A-Za-z])'([^']{2,80})'(?![A-Za-z])")
# "the Members page", "the checkout page", "the payments service", "Export button".
COMPONENT_NOUNS = (
    "page", "screen", "button", "tab", "menu", "dialog", "modal", "form", "field", "list",
    "report", "dashboard", "endpoint", "service", "widget", "panel", "sidebar", "toolbar",
    "banner", "table", "view", "link", "toggle", "checkbox", "dropdown", "wizard", "flow",
    "API", "app", "job", "queue", "worker", "pipeline", "database", "cache", "cluster",
    "module", "library", "email", "notification", "section", "card", "feed", "inbox",
)
_STOP = r"(?:the|a|an|of|to|in|on|for|and|or|with|from|is|are|it|this|that|my|our|their)"
_COMPONENT_RE = re.compile(
    rf"\b(?:the|a|an|our|my|their|this)\s+((?:(?!{_STOP}\b)[A-Za-z][\w-]*\s){{1,3}}(?:"
    + "|".join(COMPONENT_NOUNS) + r"))s?\b"
)
_FILLER_COMPONENT_WORDS = {"whole", "entire", "same", "new", "other", "main", "current",
                           "right", "wrong", "first", "last", "next", "every", "each", "old"}
# Capitalised names inside a sentence: "Stripe", "Apple Pay", "Members".
_NAME_RE = re.compile(r"(?<=[a-z,;:] )(?:[A-Z][\w+#-]*(?:\.[\w+#-]+)*)"
                      r"(?:\s(?:[A-Z][\w+#-]*(?:\.[\w+#-]+)*|\d+))*")
_NOT_NAMES = {"I", "I'm", "I've", "I'd", "OK", "It", "The", "This", "When", "Then", "Given",
              "And", "But", "If", "So", "We", "They", "Please"}


_CANONICAL = {word.lower(): word for word in PLATFORM_WORDS}


def _canonical(phrase: str) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: _CANONICAL.get(m.group(0).lower(), m.group(0)), phrase)


def environment(text: str) -> list[str]:
    """The platforms, browsers and places a report names: "iOS Safari", "staging"."""
    found = [_canonical(match.group(0)) for match in _ENVIRONMENT_RE.finditer(text)]
    found += [match.group("env") for match in _PLACE_ENVIRONMENT_RE.finditer(text)]
    return _unique(found)


def quoted(text: str) -> list[str]:
    """Exact texts the user quoted: error messages, button labels."""
    return _unique(next(group for group in match.groups() if group).strip()
                   for match in _QUOTED_RE.finditer(text))


def numbers(text: str) -> list[str]:
    """Numbers with what they count or measure: "2MB", "30 seconds", "error 500"."""
    found = [match.group(0).strip() for match in _NUMBER_RE.finditer(text)]
    found += [match.group(0) for match in _VERSION_RE.finditer(text)]
    covered = " ".join(found)
    found += [m.group(0) for m in _BARE_VERSION_RE.finditer(text) if m.group(0) not in covered]
    return _unique(found)


def formats(text: str) -> list[str]:
    return _unique(match.group(0) for match in _FORMAT_RE.finditer(text)
                   if not match.group(0).islower() or match.group(0).lower() == "webhook")


def components(text: str) -> list[str]:
    """Named parts of the product: "checkout page", "payments service", "Members page"."""
    found = []
    for match in _COMPONENT_RE.finditer(text):
        name = match.group(1)
        first = name.split()[0].lower()
        if first in _FILLER_COMPONENT_WORDS or first in ("to", "of", "for", "and", "in", "on"):
            continue
        found.append(name)
    return _unique(found)


def names(text: str) -> list[str]:
    """Capitalised product or vendor names used inside a sentence ("Stripe", "Apple Pay")."""
    return _unique(name for match in _NAME_RE.finditer(text)
                   if (name := match.group(0).rstrip(".")) not in _NOT_NAMES)


def all_facts(text: str) -> list[str]:
    """Every concrete fact, most specific first, without one repeating another."""
    found = [*quoted(text), *environment(text), *numbers(text), *formats(text), *names(text),
             *components(text)]
    kept: list[str] = []
    for fact in sorted(_unique(found), key=len, reverse=True):
        if not any(fact.lower() in other.lower() for other in kept):
            kept.append(fact)
    order = {fact: text.find(fact) for fact in kept}
    return sorted(kept, key=lambda fact: (order[fact] if order[fact] >= 0 else len(text)))


def missing(facts: list[str], text: str) -> list[str]:
    """The facts that `text` does not mention (case and spacing aside)."""
    haystack = _squash(text)
    return [fact for fact in facts if _squash(fact) not in haystack]


def _squash(text: str) -> str:
    return re.sub(r"[\s\"“”']+", "", text.lower())


def _unique(items) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))
