"""The offline generator: a whole ticket from a description by fixed rules, with no network.

`generate_offline` reads the description (reading.py, and bug_reading.py for a bug), then
writes each field from what it found: title, story and summary (prose.py), acceptance
criteria in the kind's style (feature_criteria.py, bug_criteria.py, task_criteria.py), a
bug's steps and behaviours (bug_report.py), and priority, labels and points (sizing.py).
What differs per kind is the kind's `OfflineRules` in tickets/kinds.py.
"""

import json
import time

from tickets.kinds import get_kind
from tickets.providers.base import Completion
from tickets.providers.prompts import GenerationRequest
from tickets.providers.schema import SUMMARY_MAX, TEXT_MAX, validate_ticket

from . import bug_report, english, epics, prose, sizing, titles
from .answers import fold_answers
from .bug_criteria import fix_criteria
from .bug_reading import read_bug
from .copies import say_once
from .criteria import carry_facts
from .feature_criteria import outcome_criteria
from .reading import read
from .task_criteria import done_criteria
from .templated import apply_template

NAME = "offline"
MODEL_NAME = "offline-rules-v2"
OFFLINE_NOTE = (
    "Written by the offline generator (no AI service configured): a starting point built from "
    "your description by fixed rules. Review it before sharing."
)


def generate_offline(request: GenerationRequest) -> dict:
    """A schema-valid ticket for `request`, built deterministically from its description
    (and the answers to clarifying questions, if any)."""
    kind = get_kind(request.ticket_type)
    # Answers to clarifying questions are read as part of the description.
    described = fold_answers(request.description, story=bool(kind.user_story),
                             bug=bool(kind.reproduction),
                             clarifications=list(request.clarifications))
    reading = read(described)
    bug = read_bug(reading.text, list(reading.sentences)) if kind.reproduction else None
    style = kind.offline.criteria
    if style == "fix":
        acceptance = fix_criteria(reading, bug)
    elif style == "done":
        acceptance = done_criteria(reading)
    else:
        acceptance = outcome_criteria(reading)
    # The title names what the user wrote: answers add detail, not the headline (and a title
    # built from the longer text could repeat the user's one line word for word).
    own = reading if described == request.description else read(request.description)
    own_bug = bug if own is reading or not kind.reproduction else read_bug(
        own.text, list(own.sentences))
    notes = [OFFLINE_NOTE]
    if request.tech_stack:
        notes.append(f"Tech stack: {request.tech_stack}.")
    data = {
        "title": titles.title(own, kind, own_bug),
        "type": kind.value,
        "summary": prose.summary(reading, kind, bug),
        "user_story": prose.user_story(reading) if kind.user_story else "",
        "acceptance_criteria": acceptance,
        "priority": sizing.priority(reading.text, kind),
        "labels": sizing.labels(request, reading.text),
        "story_points": sizing.story_points(len(acceptance), len(english.words(reading.text)),
                                            kind),
        "technical_notes": " ".join(notes),
    }
    if kind.reproduction:
        bug = bug or read_bug(reading.text, list(reading.sentences))
        data["steps_to_reproduce"] = [_bounded(step, _PART_MAX)
                                      for step in bug_report.steps_to_reproduce(reading, bug)]
        data["expected_behaviour"] = bug_report.expected_behaviour(reading, bug)
        data["actual_behaviour"] = bug_report.actual_behaviour(reading, bug)
    if kind.epic:
        data["scope"] = epics.scope(reading)
        data["out_of_scope"] = epics.out_of_scope(reading)
        data["success_measures"] = epics.success_measures(reading)
    for key, limit in (("summary", SUMMARY_MAX), ("user_story", TEXT_MAX),
                       ("expected_behaviour", TEXT_MAX), ("actual_behaviour", TEXT_MAX)):
        if key in data:
            data[key] = _bounded(data[key], limit)
    data["acceptance_criteria"] = [{part: _bounded(text, _PART_MAX) for part, text in item.items()}
                                   for item in acceptance]
    data = say_once(data, described)
    data["acceptance_criteria"] = carry_facts(data["acceptance_criteria"], described)
    data = apply_template(data, request, described)
    return validate_ticket(data, ticket_type=kind.value, template=request.template)


# A criterion's clause or a step longer than this is a paragraph, not a check.
_PART_MAX = 400


def _bounded(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut after a sentence or else between words."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind("; "))
    if end > limit // 2:
        return head[: end + 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:")


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
