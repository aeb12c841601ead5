"""Rules on the acceptance criteria: how many, one When each, observable outcomes, no two
alike, and the description's facts carried into them."""

import re

from django.utils.translation import gettext_noop

from tickets.quality.english import VAGUE_RE
from tickets.quality.registry import rule
from tickets.quality.text import jaccard
from tickets.quality.ticket import CheckedTicket

_FIELDS = ("acceptance_criteria",)
CRITERIA_MIN, CRITERIA_MAX = 2, 7
# Two criteria sharing this share of their words (all words, Jaccard) say the same thing:
# they differ in a word or two ("… a new Gmail address …" / "… a new Outlook address …").
ALIKE_SHARE = 0.85
# Facts the criteria may leave out: one in four (a long description has context, e.g. "we
# saw 37 duplicate charges", that is not a requirement); none when it gives three or fewer.
FACTS_SPARED_PER = 4
# The When keyword per language, from Gherkin's own translations; a ticket in a language not
# listed here is not judged on it. Matched in lowercased text (faster than ignoring case).
_WHEN_WORDS = {"en": "when", "de": "wenn", "fr": "quand|lorsque|lorsqu", "es": "cuando"}
_WHEN_RES = {
    language: (re.compile(rf"^\s*(?:{pattern})\b\W*"), re.compile(rf"\b(?:{pattern})\b"))
    for language, pattern in _WHEN_WORDS.items()
}


def _numbered(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"criterion {numbers[0]}"
    return "criteria " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


def _has(numbers: list[int]) -> str:
    return "has" if len(numbers) == 1 else "have"


def _quoted(labels: list[str], limit: int = 3) -> str:
    """ “a”, “b” and “c” (and 2 more) """
    shown = [f"“{label}”" for label in labels[:limit]]
    if len(labels) > limit:
        return ", ".join(shown) + f" and {len(labels) - limit} more"
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]


@rule("criteria_count", gettext_noop("Number of criteria"), _FIELDS)
def criteria_count(ticket: CheckedTicket) -> str:
    count = len(ticket.criteria)
    if count < CRITERIA_MIN:
        return (f"There {'is' if count == 1 else 'are'} {count or 'no'} acceptance "
                f"criteri{'on' if count == 1 else 'a'}; write {CRITERIA_MIN} to {CRITERIA_MAX} "
                "covering the main case and what can go wrong.")
    if count > CRITERIA_MAX:
        return (f"There are {count} acceptance criteria; keep the {CRITERIA_MAX} that matter "
                "most or split the ticket.")
    return ""


@rule("criteria_one_when", gettext_noop("One When each"), _FIELDS)
def criteria_one_when(ticket: CheckedTicket) -> str | None:
    language = ticket.language.split("-")[0].casefold()
    if language not in _WHEN_RES or not ticket.criteria or ticket.checklist:
        return None
    leading, anywhere = _WHEN_RES[language]
    whens = [leading.sub("", criterion["when"].lower()) for criterion in ticket.criteria]
    lowered = "\n".join(f"{c['given']}\n{c['then']}" for c in ticket.criteria).lower()
    if all(whens) and not anywhere.search(lowered + "\n" + "\n".join(whens)):
        return ""  # the common case, told in one search; which criterion fails is below
    empty, doubled = [], []
    for number, criterion in enumerate(ticket.criteria, 1):
        when = leading.sub("", criterion["when"].lower())
        if not when:
            empty.append(number)
        elif any(anywhere.search(part) for part in
                 (criterion["given"].lower(), when, criterion["then"].lower())):
            doubled.append(number)
    if empty:
        return (f"{_numbered(empty).capitalize()} {_has(empty)} no When; say what the user or "
                "the system does.")
    if doubled:
        return (f"{_numbered(doubled).capitalize()} {_has(doubled)} more than one When; split "
                "so that each criterion tests one action.")
    return ""


@rule("criteria_observable", gettext_noop("Observable outcomes"), _FIELDS, english_only=True)
def criteria_observable(ticket: CheckedTicket) -> str | None:
    if not ticket.criteria:
        return None
    if not VAGUE_RE.search("\n".join(criterion["then"] for criterion in ticket.criteria).lower()):
        return ""  # the common case, told in one search; which criterion fails is below
    vague: dict[str, None] = {}
    numbers = []
    for number, criterion in enumerate(ticket.criteria, 1):
        found = VAGUE_RE.findall(criterion["then"].lower())
        if found:
            numbers.append(number)
            vague.update(dict.fromkeys(found))
    if not numbers:
        return ""
    return (f"The outcome of {_numbered(numbers)} says {_quoted(list(vague))}, which nobody can "
            "check; say what is seen or measured (e.g. “within 2 seconds”).")


@rule("criteria_distinct", gettext_noop("Distinct criteria"), _FIELDS)
def criteria_distinct(ticket: CheckedTicket) -> str | None:
    if len(ticket.criteria) < 2:
        return None
    # The same words (in any order) share all of them: the same text is caught too.
    word_sets = [set(ticket.words(text)) for text in ticket.criteria_texts]
    for first in range(len(word_sets)):
        for second in range(first + 1, len(word_sets)):
            if jaccard(word_sets[first], word_sets[second]) >= ALIKE_SHARE:
                return (f"Criteria {first + 1} and {second + 1} say nearly the same thing; "
                        "merge them or make each cover a different case.")
    return ""


@rule("criteria_facts", gettext_noop("Facts carried over"), _FIELDS)
def criteria_facts(ticket: CheckedTicket) -> str | None:
    wanted = ticket.description_facts
    if not wanted:
        return None
    missing = [fact.label for fact in wanted if not ticket.criteria_index.carries(fact)]
    if len(missing) <= len(wanted) // FACTS_SPARED_PER:
        return ""
    return (f"The criteria never mention {_quoted(missing)} from the description; a tester "
            "needs them to check the work.")
