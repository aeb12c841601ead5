"""Priority, labels and story points: the fields that place a ticket in a backlog.

Priority follows the words of impact in the description (data loss and outages first,
cosmetics last); labels name the kind, the area and the topics the description touches;
story points grow with the scope the criteria describe, so a one-point ticket never carries
six criteria and a two-line change is not an eight.
"""

import re

from tickets.kinds import TicketKind
from tickets.providers.prompts import GenerationRequest
from tickets.providers.schema import STORY_POINTS

from . import english

_HIGHEST = ("data loss", "security", "outage", "breach", "down for everyone", "cannot log in",
            "charged twice", "double charge")
# Words of impact: a bug that crashes or blocks payment is urgent; a feature that mentions
# payments is not, unless someone says it is.
_HIGH_BUG = ("crash", "cannot", "can't", "broken", "fails", "error", "payment", "not login",
             "unable", "lost")
_HIGH = ("urgent", "blocker", "asap", "deadline", "end of life", "exposed", "leaked")
_LOW = ("typo", "cosmetic", "minor", "nice to have", "polish", "alignment", "colour", "color")

# Keyword -> label; the first matches make the ticket easy to file.
_LABEL_KEYWORDS = {
    "ui": ("button", "page", "screen", "form", "layout", "modal", "click", "display", "dark mode",
           "theme", "spinner"),
    "api": ("api", "endpoint", "webhook", "request", "json"),
    "performance": ("slow", "performance", "latency", "timeout", "speed"),
    "security": ("security", "password", "permission", "auth", "login", "xss", "csrf",
                 "two-factor", "2fa"),
    "mobile": ("mobile", "ios", "android", "phone", "iphone", "ipad"),
    "email": ("email", "e-mail", "newsletter", "inbox"),
    "payments": ("payment", "payments", "checkout", "invoice", "stripe", "billing", "refund"),
    "data": ("export", "import", "csv", "report", "database"),
    "upgrade": ("upgrade", "deprecation", "deprecations"),
}
# Criteria count -> the smallest honest estimate for that much to build and check.
_POINTS_FOR_CRITERIA = {1: 1, 2: 2, 3: 3, 4: 3, 5: 5, 6: 5, 7: 8}


def priority(text: str, kind: TicketKind) -> str:
    lowered = text.lower()
    if any(word in lowered for word in _HIGHEST):
        return "highest"
    if any(word in lowered for word in _LOW):
        return "low"
    if any(word in lowered for word in _HIGH) or kind.reproduction and any(
            word in lowered for word in _HIGH_BUG):
        return "high"
    return "medium"


def labels(request: GenerationRequest, text: str) -> list[str]:
    lowered = text.lower()
    found = [request.ticket_type]
    if request.product_area:
        found.append(request.product_area)
    found += [part for part in re.split(r"[,/]", request.tech_stack) if part.strip()][:3]
    words = set(english.words(lowered))
    for label, keywords in _LABEL_KEYWORDS.items():
        if any((keyword in words) if " " not in keyword else (keyword in lowered)
               for keyword in keywords):
            found.append(label)
    return found[:8]


def story_points(criteria_count: int, word_count: int, kind: TicketKind) -> int:
    points = _POINTS_FOR_CRITERIA.get(criteria_count, 8)
    if word_count > 150:
        points = next((p for p in STORY_POINTS if p > points), points)
    return max(points, kind.offline.min_story_points)
