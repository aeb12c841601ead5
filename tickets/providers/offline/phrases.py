"""Phrase-level rewrites the writers share: a goal split into its actions, a stated
requirement turned into an outcome, pronouns named again, a task split into its steps.
"""

import re

from . import english
from .roles import strip_leads

_ABBREVIATIONS_RE = re.compile(r"\b(e\.g|i\.e|etc|vs|approx|incl)\.\s", re.IGNORECASE)

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+|\s+[-*•]\s+(?=[A-Za-z])")

_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")

# Longer inputs are read for their first sentences; the facts come from the whole text.
_SENTENCES_READ = 12

_WORDS_READ = 60

CHARACTERS_READ = 600

_LEADING_ARTICLE_RE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)

def sentences(text: str) -> list[str]:
    protected = _ABBREVIATIONS_RE.sub(lambda m: m.group(0).replace(". ", "\0 "), text)
    parts = []
    for part in _SENTENCE_SPLIT_RE.split(protected):
        part = _BULLET_RE.sub("", part.replace("\0", ".")).strip().rstrip(".!?;:").strip()
        # A run-on "sentence" of hundreds of words is read for its start only.
        part = " ".join(part.split()[:_WORDS_READ])[:CHARACTERS_READ]
        if part and english.words(part):
            parts.append(part)
    return parts[:_SENTENCES_READ]


_TASK_PURPOSE_RE = re.compile(r"\s+(?:in order\s+)?to\s+(?P<why>(?:cut|reduce|speed up|improve|"
                              r"avoid|save|keep|support|allow|prevent|lower|free|stay|meet)\b.*)$",
                              re.IGNORECASE)


def task_steps(text: str) -> list[str]:
    """The pieces of a task: "upgrade X from A to B and fix deprecations" -> two steps; "the
    images are too big, make them smaller" -> "make the images smaller"."""
    steps: list[str] = []
    thing = ""
    for sentence in sentences(text):
        sentence = strip_leads(sentence)
        # Commas inside brackets list details ("4 stages (lint, tests, deploy)"): keep them.
        sentence = re.sub(r"\([^)]*\)", lambda m: m.group(0).replace(",", "\0"), sentence)
        # After a colon comes a list of details, not more of the step before it.
        head, colon, details = sentence.partition(": ")
        parts = re.split(r"\s*;\s*|,\s+(?:and\s+|then\s+)?(?=\w+\s)|\s+(?:and|then)\s+"
                         r"(?=(?:also\s+)?\w+\s)", head)
        details_parts = re.split(r",\s+(?:and\s+)?|;\s*", details) if colon else []
        first_step = len(steps)
        if not english.starts_with_verb(parts[0].strip(" ,.")):
            named = re.match(r"^(?P<x>(?:the|our|all)\s+[\w\s-]+?)\s+(?:is|are|was|were)\b",
                             sentence, re.IGNORECASE)
            if named:
                thing = re.sub(r"^our\s+", "the ", english.lower_first(named.group("x")))
            if not re.search(r",\s+(?:please\s+)?\w+", head) or len(parts) < 2:
                continue
            parts = parts[1:]
        for index, part in enumerate([*parts, *details_parts]):
            merging = index < len(parts) and len(steps) > first_step
            part = part.replace("\0", ",")
            part = re.sub(r"^(?:also|then|and)\s+", "", part.strip(" ,."), flags=re.IGNORECASE)
            part = _TASK_PURPOSE_RE.sub("", part)
            named = re.match(r"^(?P<x>(?:the|our|all)\s+[\w\s-]+?)\s+(?:is|are|was|were)\b", part,
                             re.IGNORECASE)
            if named:
                thing = re.sub(r"^our\s+", "the ", english.lower_first(named.group("x")))
            if english.starts_with_verb(part) and len(part.split()) >= 2:
                if thing:
                    part = re.sub(r"\b(?:them|it)\b(?!\s+(?:is|are|was|were|has|have|\w+s)\b)",
                                  thing, part, count=1)
                steps.append(part[0].lower() + part[1:])
                thing = english.noun_phrase(part.split(" ", 1)[1]) if " " in part else thing
            elif merging and steps and not named and " " in part and not re.match(
                    r"^(?:including|without|with|using|for|in|on|before|after|by|so|they|it|we|"
                    r"I)\b", part, re.IGNORECASE) and not re.search(r"\b(?:is|are|was|were)\b",
                                                                     part):
                # "write tests for the signup and onboarding flow": one step, cut at "and".
                steps[-1] = f"{steps[-1]} and {part}"
    return list(dict.fromkeys(steps))


def split_requirement(then: str) -> list[str]:
    """"the pipeline runs the stages in parallel and caches dependencies so that it finishes
    in under 10 minutes" -> three checks, each with its subject."""
    if not then:
        return []
    if len(then.split()) <= 12:
        return [then]
    subject = re.match(r"^(?P<s>(?:[\w'-]+\s+){0,3}?[\w'-]+)\s+(?:is|are|can|runs?|has|have|"
                       r"should|must|gets?|\w+s)\b", then)
    parts = re.split(r",?\s+so that\s+|,?\s+and\s+(?=(?:it|they|\w+s)\b)|;\s+", then)
    out = []
    for index, part in enumerate(parts):
        part = part.strip(" ,")
        if index and subject and not re.match(r"^(?:it|they|the|a|an|this|each|every|no)\b",
                                              part):
            part = f"{subject.group('s')} {part}"
        if subject:
            part = re.sub(r"^it\b", subject.group("s"), part)
        if len(part.split()) >= 3:
            out.append(part)
    return out or [then]


def task_purpose(text: str) -> str:
    """"to cut the bundle size (moment is 290KB)" from a task sentence: why the work is done."""
    for sentence in sentences(text):
        match = _TASK_PURPOSE_RE.search(sentence)
        if match:
            return match.group("why")
    return ""


def resolve_pronouns(statements: list[str]) -> list[str]:
    """"They can be restored …" after "Archived projects are …" names the projects again."""
    out, subject = [], ""
    for statement in statements:
        match = re.match(r"^(?:they|it)\b", statement, re.IGNORECASE)
        if match and subject:
            statement = subject + statement[match.end():]
        found = re.match(r"^(?P<s>(?:[\w'-]+\s+){0,3}?[\w'-]+)\s+(?:is|are|can|should|must|"
                         r"will|get|gets|have|has)\b", statement)
        if found and not re.match(r"^(?:they|it|this|that|there|I|we)$", found.group("s"),
                                  re.IGNORECASE):
            subject = english.lower_first(found.group("s"))
        out.append(statement)
    return out


def split_actions(goal: str) -> list[str]:
    """"invite X and choose Y" -> two actions; "book, move or cancel an appointment" -> three
    actions on the one appointment; "X and Y" between nouns stays one."""
    pieces = re.split(r"(\s+and\s+(?=\w+\s)|,\s+(?:and\s+|or\s+)?(?=\w+)|\s+or\s+(?=\w+))", goal)
    actions, joiners = [pieces[0]], []
    for joiner, part in zip(pieces[1::2], pieces[2::2], strict=True):
        if english.starts_with_verb(part) and (len(part.split()) > 1 or not english.words(
                actions[-1])[1:]):
            actions.append(part)
            joiners.append(joiner)
        else:
            actions[-1] = f"{actions[-1]}{joiner}{part}"
    # "book, move or cancel an appointment": the verbs before the last share its object.
    last = actions[-1].split(" ", 1)
    if len(actions) > 1 and len(last) > 1:
        actions = [f"{action} {last[1]}" if len(action.split()) == 1 else action
                   for action in actions]
    return actions


_CURRENT_RE = re.compile(r"\b(?:currently|today|right now|at the moment|at present)\b",
                         re.IGNORECASE)


def is_current_state(sentence: str) -> bool:
    """"The pipeline currently takes 25 minutes": how things are, not a requirement."""
    return bool(_CURRENT_RE.search(sentence)) and not re.search(
        r"\b(?:should|must|needs? to|has to|have to|will)\b", sentence)


def statement_then(sentence: str) -> str:
    """A further requirement as an outcome: "It should remember the choice" -> "it remembers
    the choice"; empty for a sentence that is context ("we changed the library")."""
    sentence = sentence.strip(" .")
    if re.match(r"^(?:I|we|our|this is|that is|it's|thanks|hi|hello)\b", sentence,
                re.IGNORECASE) or len(sentence.split()) < 3:
        return ""
    match = re.match(r"^(?P<s>.+?)\s+(?:should|must|needs to|has to|have to|will|shall)\s+"
                     r"(?:also\s+)?(?P<v>[\w-]+)(?P<r>.*)$", sentence, re.IGNORECASE)
    if not match:
        return english.lower_first(sentence)
    subject, verb = english.lower_first(match.group("s")), match.group("v").lower()
    plural = subject in ("they", "we") or english.is_plural(subject.split()[-1])
    if verb == "not":
        return ""
    if verb == "be":
        form = "are" if plural else "is"
    else:
        form = verb if plural else english.third_person(verb)
    return f"{subject} {form}{match.group('r')}"


def without_article(phrase: str) -> str:
    return _LEADING_ARTICLE_RE.sub("", phrase)


def participle_goal(goal: str) -> str:
    """"the items in my cart saved" -> "save the items in my cart"."""
    words = goal.split()
    for index, word in enumerate(words[1:], start=1):
        lower = word.lower()
        for base in (lower[:-2], lower[:-1], lower[:-3]):
            if lower.endswith("ed") and base in english.VERBS:
                thing = " ".join(words[:index])
                rest = " ".join(words[index + 1:])
                return " ".join(part for part in (base, thing, rest) if part)
    return ""
