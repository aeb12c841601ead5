"""The offline generator: a ticket from the description by fixed rules, with no network.

Used when no AI provider is configured, so the whole product (and its token flow) works on
a laptop. The same input always gives the same ticket, and the ticket says where it came from.
What differs per kind (title prefix, criteria, estimate floor) is the kind's `OfflineRules`.
"""

import json
import re
import time

from tickets.kinds import TicketKind, get_kind

from .base import Completion
from .prompts import GenerationRequest
from .schema import TITLE_MAX, validate_ticket

NAME = "offline"
MODEL_NAME = "offline-rules-v1"
OFFLINE_NOTE = (
    "Written by the offline generator (no AI service configured): a starting point built from "
    "your description by fixed rules. Review it before sharing."
)

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD_RE = re.compile(r"[A-Za-z0-9']+")
_AS_A_RE = re.compile(r"\bas an?\s+([^,.;]+?)(?:,|\s+I\s+want\b|\s+I\s+need\b)", re.IGNORECASE)
_SO_THAT_RE = re.compile(r"\bso that\s+([^.;\n]+)", re.IGNORECASE)

_HIGHEST = ("data loss", "security", "outage", "breach", "down for everyone", "cannot log in")
_HIGH = ("crash", "urgent", "blocker", "cannot", "can't", "broken", "fails", "error", "payment")
_LOW = ("typo", "cosmetic", "minor", "nice to have", "polish", "alignment", "colour", "color")

# Keyword -> label; the first matches make the ticket easy to file.
_LABEL_KEYWORDS = {
    "ui": ("button", "page", "screen", "form", "layout", "modal", "click", "display"),
    "api": ("api", "endpoint", "webhook", "request", "json"),
    "performance": ("slow", "performance", "latency", "timeout", "speed"),
    "security": ("security", "password", "permission", "auth", "login", "xss", "csrf"),
    "mobile": ("mobile", "ios", "android", "phone", "360"),
    "email": ("email", "e-mail", "newsletter", "inbox"),
    "payments": ("payment", "checkout", "invoice", "stripe", "billing", "refund"),
    "data": ("export", "import", "csv", "report", "database"),
}


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_RE.split(text) if part.strip()]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# "As a support agent, I need to export X so that Y" -> "export X": the work itself.
_STORY_LEAD_RE = re.compile(
    r"^as an?\s+[^,]+?(?:,\s*|\s+)(?:i|we)\s+(?:need|want|would like)\s+(?:to\s+)?",
    re.IGNORECASE,
)
_WANT_LEAD_RE = re.compile(
    r"^(?:we|i|users?|customers?)\s+(?:need|want|would like)\s+(?:to\s+)?", re.IGNORECASE
)
_SO_THAT_TAIL_RE = re.compile(r"\s*,?\s+so that\s+.*$", re.IGNORECASE)


def _core(sentence: str) -> str:
    """The work a sentence asks for, without the story's role and benefit around it."""
    core = sentence.rstrip(".!?")
    core = _STORY_LEAD_RE.sub("", core)
    core = _WANT_LEAD_RE.sub("", core)
    core = _SO_THAT_TAIL_RE.sub("", core).strip()
    return core or sentence.rstrip(".!?")


def _title(sentences: list[str], kind: TicketKind) -> str:
    first = (_core(sentences[0]) if sentences else "") or "Untitled work"
    first = first[0].upper() + first[1:]
    rules = kind.offline
    if rules.title_prefix and not first.lower().startswith(rules.title_prefix_unless):
        first = f"{rules.title_prefix}{first[0].lower()}{first[1:]}"
    return _clip(first, min(TITLE_MAX, 90))


def _priority(lowered: str) -> str:
    if any(word in lowered for word in _HIGHEST):
        return "highest"
    if any(word in lowered for word in _LOW):
        return "low"
    if any(word in lowered for word in _HIGH):
        return "high"
    return "medium"


def _labels(request: GenerationRequest, lowered: str) -> list[str]:
    labels = [request.ticket_type]
    if request.product_area:
        labels.append(request.product_area)
    labels += [part for part in re.split(r"[,/]", request.tech_stack) if part.strip()][:3]
    words = set(_WORD_RE.findall(lowered))
    for label, keywords in _LABEL_KEYWORDS.items():
        if any((keyword in words) if " " not in keyword else (keyword in lowered)
               for keyword in keywords):
            labels.append(label)
    return labels[:8]


def _story_points(word_count: int, kind: TicketKind) -> int:
    scale = [(25, 1), (60, 2), (120, 3), (250, 5), (450, 8)]
    for limit, points in scale:
        if word_count < limit:
            return max(points, kind.offline.min_story_points)
    return 13


def _goal(sentence: str) -> str:
    goal = _core(sentence)
    return goal[0].lower() + goal[1:] if goal else "this to work"


_NOUN_START_RE = re.compile(r"^(?:a|an|the|some|more|better|new)\b", re.IGNORECASE)


def _wants(goal: str) -> str:
    """'export X' -> 'to export X'; 'a dark mode toggle' stays a thing one wants."""
    return goal if _NOUN_START_RE.match(goal) else f"to {goal}"


def _does(goal: str) -> str:
    """What a user does in an acceptance criterion: 'export X', or 'use a dark mode toggle'."""
    return f"use {goal}" if _NOUN_START_RE.match(goal) else goal


def _user_story(request: GenerationRequest, sentences: list[str]) -> str:
    match = _AS_A_RE.search(request.description)
    role = match.group(1).strip() if match else "user"
    benefit_match = _SO_THAT_RE.search(request.description)
    benefit = (benefit_match.group(1).strip().rstrip(".!?") if benefit_match
               else "I can get my work done without a workaround")
    return f"As a {role}, I want {_wants(_clip(_goal(sentences[0]), 200))} so that {benefit}"


def _find(sentences: list[str], words: tuple[str, ...]) -> str:
    for sentence in sentences:
        if any(word in sentence.lower() for word in words):
            return sentence
    return ""


_ACTION_RE = re.compile(r"\b(click|open|go to|select|enter|type|submit|tap|press|upload|visit|"
                        r"log in)\b", re.IGNORECASE)
# "When I click Export on the invoices page the app crashes" -> "click Export on the invoices page"
_STEP_RE = re.compile(
    r"^(?:when|if|after|once)\s+(?:i|you|we|they|users?|customers?)\s+(.+?)(?:,\s*|\s+)"
    r"(?:(?:the|my|this|that)\s+\w+\s+|it\s+|i\s+|we\s+)?"
    r"(?:crash|fail|error|freez|hang|break|show|return|get|see|doesn|does not|stop|nothing|"
    r"is\s|are\s|goes\s)",
    re.IGNORECASE,
)


def _step(sentence: str) -> str:
    match = _STEP_RE.match(sentence)
    step = match.group(1) if match else sentence.rstrip(".!?")
    return step[0].upper() + step[1:]


def _reproduction(sentences: list[str]) -> dict:
    steps = [_step(s) for s in sentences if _ACTION_RE.search(s)]
    if not steps:
        steps = ["Open the part of the product described above",
                 "Repeat the action from the description",
                 "Observe the result"]
    expected = _find(sentences, ("should", "expected", "expect"))
    actual = _find(sentences, ("instead", "but ", "error", "fails", "crash", "nothing happens",
                               "broken", "doesn't", "does not", "wrong"))
    return {
        "steps_to_reproduce": steps[:8],
        "expected_behaviour": expected or "The action completes as described, with no error.",
        "actual_behaviour": actual or sentences[0],
    }


def _criteria(
    request: GenerationRequest, sentences: list[str], kind: TicketKind
) -> list[dict[str, str]]:
    area = request.product_area or "the product"
    goal = _clip(_goal(sentences[0]), 160)
    if kind.offline.criteria == "fix":
        return [
            {"given": f"a user in {area} following the steps to reproduce",
             "when": "they perform the action again",
             "then": "the expected behavior happens and no error is shown"},
            {"given": "the fix is deployed",
             "when": "the regression test suite runs",
             "then": "a test covering this case passes"},
        ]
    criteria = [
        {"given": f"a signed-in user in {area}",
         "when": ("the work is complete" if kind.offline.criteria == "done"
                  else f"they {_does(goal)}"),
         "then": "the result matches the description and is saved"},
    ]
    for sentence in sentences[1:3]:
        criteria.append({"given": f"the change is available in {area}",
                         "when": "a user follows the described flow",
                         "then": _clip(sentence.rstrip(".!?"), 200)})
    criteria.append({"given": "invalid or missing input",
                     "when": "the user submits it",
                     "then": "a clear message explains what to fix and nothing is changed"})
    return criteria


def generate_offline(request: GenerationRequest) -> dict:
    """A schema-valid ticket for `request`, built deterministically from its description."""
    kind = get_kind(request.ticket_type)
    sentences = _sentences(request.description) or [request.description.strip()]
    lowered = request.description.lower()
    word_count = len(_WORD_RE.findall(request.description))
    notes = [OFFLINE_NOTE]
    if request.tech_stack:
        notes.append(f"Tech stack: {request.tech_stack}.")
    data = {
        "title": _title(sentences, kind),
        "type": kind.value,
        "summary": _clip(request.description, 1200),
        "user_story": _user_story(request, sentences) if kind.user_story else "",
        "acceptance_criteria": _criteria(request, sentences, kind),
        "priority": _priority(lowered),
        "labels": _labels(request, lowered),
        "story_points": _story_points(word_count, kind),
        "technical_notes": " ".join(notes),
    }
    if kind.reproduction:
        data.update(_reproduction(sentences))
    return validate_ticket(data, ticket_type=kind.value)


class OfflineProvider:
    """The offline generator as a `Provider`: no network, never fails, costs nothing."""

    name = NAME

    def complete(
        self, request: GenerationRequest, *, model: str, messages: list[dict[str, str]]
    ) -> Completion:
        started = time.monotonic()
        content = json.dumps(generate_offline(request))
        return Completion(
            content=content, model=model, latency_ms=int((time.monotonic() - started) * 1000)
        )


def from_settings() -> OfflineProvider:
    """Always available: it needs no configuration."""
    return OfflineProvider()
