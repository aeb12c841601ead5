"""Rules on the kinds with a reproduction (bug): steps that are actions, expected behaviour
different from actual, and the environment the description names."""

import re

from django.utils.translation import gettext_noop

from tickets.kinds import KINDS
from tickets.quality import english
from tickets.quality.facts import environment
from tickets.quality.registry import rule
from tickets.quality.text import alike, words
from tickets.quality.ticket import CheckedTicket

BUG_KINDS = tuple(kind.value for kind in KINDS.values() if kind.reproduction)
STEPS_MIN = 2
# A step reading this much like the description or one of its sentences repeats it.
COPY_LIKENESS = 0.9
# A leading "On iOS Safari, …" is skipped only if its comma comes within this many words.
_LEAD_WORDS = 8
_NUMBERING_RE = re.compile(r"^\s*(?:[Ss]tep\s*)?(?:\d+\s*[.):-]|[-*•])\s*")


def _repeats_description(step: list[str], ticket: CheckedTicket) -> bool:
    described = ticket.normalised(ticket.description)
    if not step or not described:
        return False
    if len(step) >= len(ticket.description_words) and f" {described} " in f" {' '.join(step)} ":
        return True
    return any(alike(step, sentence, COPY_LIKENESS) for sentence in ticket.description_sentences)


def _is_action(step: str, ticket: CheckedTicket) -> bool:
    """Whether an English step starts with what the tester does ("Open …", "Tap …")."""
    text = _NUMBERING_RE.sub("", step)
    head = ticket.words(text)
    skip = 0
    while skip < len(head) and head[skip] in english.STEP_FILLERS:
        skip += 1
    head = head[skip:]  # a copy: the cached words stay as they are
    if head and head[0] in english.STEP_LEAD_PREPOSITIONS and "," in text:
        lead, rest = text.split(",", 1)
        if len(words(lead)) <= _LEAD_WORDS:
            head = words(rest)
    if not head:
        return False
    second = head[1] if len(head) > 1 else ""
    verb = head[0] in english.ACTION_VERBS or f"{head[0]}-{second}" in english.ACTION_VERBS
    return verb and second not in english.STATE_WORDS


@rule("bug_steps", gettext_noop("Steps are actions"), ("steps_to_reproduce",), kinds=BUG_KINDS)
def bug_steps(ticket: CheckedTicket) -> str:
    steps = ticket.steps
    if len(steps) < STEPS_MIN:
        return (f"There {'is one step' if steps else 'are no steps'} to reproduce; list at "
                f"least {STEPS_MIN} numbered actions a tester can follow.")
    copies = [number for number, step in enumerate(steps, 1)
              if _repeats_description(ticket.words(step), ticket)]
    if copies:
        return (f"Step {copies[0]} repeats the description; list what a tester does instead "
                "(“Open …”, “Tap …”).")
    if ticket.english:
        actions = sum(_is_action(step, ticket) for step in steps)
        if actions < STEPS_MIN:
            return (f"Only {actions} of the {len(steps)} steps {'is' if actions == 1 else 'are'} "
                    "an action; start each with what the tester does (“Open …”, “Tap …”).")
    return ""


@rule("bug_expected_actual", gettext_noop("Expected differs from actual"),
      ("expected_behaviour", "actual_behaviour"), kinds=BUG_KINDS)
def bug_expected_actual(ticket: CheckedTicket) -> str:
    expected = ticket.normalised(ticket.field("expected_behaviour"))
    actual = ticket.normalised(ticket.field("actual_behaviour"))
    if not expected or not actual:
        missing = "Expected" if not expected else "Actual"
        return f"{missing} behaviour is missing; say what should happen and what happens now."
    if expected == actual:
        return gettext_noop("Expected and actual behaviour say the same thing; "
                            "say how they differ.")
    return ""


@rule("bug_environment", gettext_noop("Environment named"),
      ("summary", "steps_to_reproduce", "actual_behaviour", "acceptance_criteria"),
      kinds=BUG_KINDS)
def bug_environment(ticket: CheckedTicket) -> str | None:
    named = environment(ticket.description)
    if not named:
        return None
    where = ticket.fact_index([ticket.field("summary"), *ticket.steps,
                               ticket.field("actual_behaviour"), *ticket.criteria_texts])
    missing = [fact.label for fact in named if not where.carries(fact)]
    if not missing:
        return ""
    shown = ", ".join(f"“{label}”" for label in missing)
    return (f"The description says it happens on {shown}, but the ticket never does; name it "
            "in the steps or the actual behaviour.")
