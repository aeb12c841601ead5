"""Clarify first: what a description lacks for a good ticket, asked before anything is spent.

Free and deterministic, like the check itself. `find_questions` looks for the gaps the rules
would otherwise have to guess over — no role for a story, no expected behaviour for a bug, no
purpose, no platform, too few words of substance — and asks at most three short
multiple-choice questions (every one also takes a free answer, "Other"). With a model
configured its wording may be tailored by one cheap call (tickets/providers/clarify.py); the
gaps are always found here.

The answers then go into the generation (written into the description for the offline
generator: tickets/providers/offline/answers.py; listed in the prompt for a model), and
`criterion_origin` tells, for each acceptance criterion, whether it comes from the
description, from an answer, or is an assumption nobody asked for.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from tickets.kinds import KINDS
from tickets.quality.english import STOPWORDS, described_roles
from tickets.quality.facts import environment
from tickets.quality.text import singular, word_set, words

MAX_QUESTIONS = 3
# Fewer words than this that carry meaning (not "the", "for", "app") is a vague description;
# fewer than VERY_VAGUE says nothing of where or what is done ("dark mode for the app").
SUBSTANCE_WORDS = 8
VERY_VAGUE = 5
ANSWER_MAX = 200
# "user": written or changed by the user in the editor (an assumption they edit is theirs).
ORIGINS = ("description", "answer", "assumption", "user")
# A criterion's outcome (its Then) whose meaning words are at least this share in the
# description is what the description asked for ("the app still shows dark mode").
DESCRIBED_SHARE = 0.4

_STORY_KINDS = frozenset(kind.value for kind in KINDS.values() if kind.user_story)
_BUG_KINDS = frozenset(kind.value for kind in KINDS.values() if kind.reproduction)
# Words that say why ("so finance can …", "because …", "to avoid …").
_PURPOSE_RE = re.compile(r"\b(?:so that|so|because|in order to|to avoid|to reduce|to save|"
                         r"to stop|to prevent|to let|to help|to make sure)\b")
# A second infinitive after the work says why: "need to search conversations … to answer
# faster" (not "move tickets to another board": a place, not a purpose).
_TRAILING_PURPOSE_RE = re.compile(
    r"\bto \w+\b.*\bto (?!(?:the|a|an|their|our|my|your|its|his|her|this|that|these|those|"
    r"another|each|every|all|some|any|csv|pdf|excel)\b)[a-z]+\b")
# Words that say what goes wrong or what should happen instead.
_BROKEN_RE = re.compile(
    r"\b(?:should|expected|expect|instead|can ?not|can't|cannot|won't|doesn't|does not|"
    r"don't|do not|isn't|is not|never|fails?|failed|failing|error|errors|crash\w*|broken|"
    r"breaks?|wrong|missing|blank|empty|stuck|hangs?|freez\w*|no longer|nothing|twice|"
    r"duplicate\w*|slow|times? out|timeout|lost|disappear\w*|cut|overlap\w*|truncat\w*|"
    r"skips?|silently|late|expires?|misalign\w*|unreadable|ignored?)\b")
# Words too common to say anything about the work.
_EMPTY_WORDS = STOPWORDS | word_set("""
    app apps application site website page feature thing things stuff it please need needs
    want wants add make new support also just like get use
""")


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; every question also accepts a free answer ("Other")."""

    key: str  # what it fills: role, benefit, expected, platform, scope
    text: str
    options: tuple[str, ...]


    def localized(self) -> "Question":
        """The question and its options in the active language (the person answering)."""
        return Question(self.key, gettext(self.text),
                        tuple(gettext(option) for option in self.options))


# English here (gettext_noop), asked in the reader's language (`Question.localized`).
ROLE = Question("role", gettext_noop("Who is this for?"),
                (gettext_noop("Customers"), gettext_noop("Team admins"),
                 gettext_noop("Support agents")))
BENEFIT = Question("benefit", gettext_noop("What should it achieve for them?"),
                   (gettext_noop("Save time on a frequent task"),
                    gettext_noop("Stop mistakes they make today"),
                    gettext_noop("Meet a request customers keep making")))
EXPECTED = Question("expected", gettext_noop("What should happen instead?"),
                    (gettext_noop("Complete without an error"),
                     gettext_noop("Show a clear error message"),
                     gettext_noop("Finish within a few seconds")))
PLATFORM = Question("platform", gettext_noop("Where does this apply?"),
                    (gettext_noop("The web app"), gettext_noop("The iOS and Android apps"),
                     gettext_noop("Both web and mobile")))
SCOPE = Question("scope", gettext_noop("What should be true when it is done?"),
                 (gettext_noop("It is live in production"),
                  gettext_noop("It is covered by automated tests"),
                  gettext_noop("It is documented for the team")))


def substance(description: str) -> list[str]:
    """The description's words that carry meaning."""
    return [word for word in words(description) if word not in _EMPTY_WORDS]


def find_questions(description: str, ticket_type: str) -> list[Question]:
    """The questions worth asking before generating `description` as a `ticket_type` (at
    most MAX_QUESTIONS, most useful first); none when the description says enough."""
    lowered = description.casefold()
    meaning = len(substance(description))
    vague, very_vague = meaning < SUBSTANCE_WORDS, meaning < VERY_VAGUE
    asks_platform = very_vague and not environment(description)
    found = []
    if ticket_type in _BUG_KINDS:
        if not _BROKEN_RE.search(lowered):
            found.append(EXPECTED)
        if asks_platform:
            found.append(PLATFORM)
    elif ticket_type in _STORY_KINDS:
        if not described_roles(description):
            found.append(ROLE)
        purpose = _PURPOSE_RE.search(lowered) or _TRAILING_PURPOSE_RE.search(lowered)
        if not purpose and (vague or found):
            found.append(BENEFIT)
        if asks_platform:
            found.append(PLATFORM)
    elif very_vague:
        found.append(SCOPE)
    return found[:MAX_QUESTIONS]


def clean_answers(questions: list[Question], answers: dict[str, str]) -> list[dict[str, str]]:
    """The answered questions as stored on the ticket ([{"key", "question", "answer"}]), in
    the order asked; unanswered ones are left out (skipped)."""
    cleaned = []
    for question in questions:
        answer = " ".join((answers.get(question.key) or "").split())[:ANSWER_MAX]
        if answer:
            cleaned.append({"key": question.key, "question": question.text, "answer": answer})
    return cleaned


def _meaning(text: str) -> set[str]:
    return {singular(word) for word in words(text) if word not in _EMPTY_WORDS}


def criterion_origin(criterion: dict, *, description: str, clarifications: list[dict]) -> str:
    """Where an acceptance criterion comes from, judged on its outcome (the Then, what is
    required): "answer" when it carries words only an answer gave, "description" when the
    description says most of it, else "assumption" (the generator's own idea of what should
    also be checked)."""
    described = _meaning(description)
    answered = set().union(*(_meaning(item["answer"]) for item in clarifications)) - described
    outcome = _meaning(str(criterion.get("then", "")))
    if answered & outcome:
        return "answer"
    if outcome and len(outcome & described) / len(outcome) >= DESCRIBED_SHARE:
        return "description"
    return "assumption"


def attribute_criteria(criteria: list[dict], *, description: str,
                       clarifications: list[dict]) -> list[dict]:
    """The criteria, each with its `origin`: the one a generator gave when valid, else
    `criterion_origin`'s."""
    return [
        {**criterion, "origin": criterion.get("origin") if criterion.get("origin") in ORIGINS
         else criterion_origin(criterion, description=description,
                               clarifications=clarifications)}
        for criterion in criteria
    ]
