"""Rules on the ticket as a whole, in any language: an estimate that fits the scope, and no
field pasted from the description or from another field."""

from collections import Counter
from itertools import chain

from tickets.quality.registry import rule
from tickets.quality.text import runs
from tickets.quality.ticket import CheckedTicket

# The schema's scale (tickets/providers/schema.py, which imports the quality check through the
# provider chain, so it cannot be imported here; a test keeps the two equal).
STORY_POINTS = (1, 2, 3, 5, 8, 13)
# A small estimate caps the criteria: more than this many is more work than the points say.
MOST_CRITERIA_FOR_POINTS = {1: 4, 2: 6}
# A big estimate needs some scope: this many points or more, with at most SMALL_CRITERIA
# criteria, on a description of at most ONE_LINE_WORDS words, is out of proportion.
BIG_POINTS, SMALL_CRITERIA, ONE_LINE_WORDS = 8, 2, 20

# A run of this many words shared with the description or with another field is a copy, not
# a short quote (one sentence of the description, at most 12 words, may appear anywhere).
COPY_RUN_WORDS = 13
_RUN = b"\x01" * COPY_RUN_WORDS
# Pasting a longer run of the description is tolerated in this many fields: a story written
# from a description that already is a user story, or a quoted error message.
DESCRIPTION_COPIES_ALLOWED = 1
# Fields that must never be the description itself.
_NOT_THE_DESCRIPTION = ("summary", "technical_notes", "expected_behaviour", "actual_behaviour")
# Pairs other rules judge: expected vs actual (bug_expected_actual), two criteria
# (criteria_distinct); a criterion may restate the expected behaviour it checks.
_OWN_RULE = ("expected_behaviour", "actual_behaviour")


def _name(part: str) -> str:
    """ "the technical notes", "step 2": a part of the ticket as a message names it."""
    return part if part[-1].isdigit() else "the " + part.replace("_", " ")


def _may_share(first: str, second: str) -> bool:
    pair = {first.split()[0], second.split()[0]}
    return pair == set(_OWN_RULE) or pair == {"criterion"} or (
        "criterion" in pair and pair & set(_OWN_RULE) != set())


@rule("estimate", "Estimate fits", ("story_points", "acceptance_criteria"))
def estimate(ticket: CheckedTicket) -> str:
    points = ticket.story_points
    scale = ", ".join(map(str, STORY_POINTS[:-1])) + f" or {STORY_POINTS[-1]}"
    if points is None or points == "":
        return f"There is no estimate; set the story points ({scale})."
    if isinstance(points, bool) or points not in STORY_POINTS:
        return f"{points} is not on the story-point scale; use {scale}."
    count = len(ticket.criteria)
    most = MOST_CRITERIA_FOR_POINTS.get(points)
    if most is not None and count > most:
        return (f"{count} acceptance criteria are more work than {points} "
                f"point{'s' if points > 1 else ''}; raise the estimate or split the ticket.")
    if (points >= BIG_POINTS and count <= SMALL_CRITERIA
            and len(ticket.description_words) <= ONE_LINE_WORDS):
        return (f"{points} points for {count} criteria on a one-line request look too high; "
                "lower the estimate or describe the larger scope.")
    return ""


def _has_run_from(part: list[str], vocabulary: set[str]) -> bool:
    """Whether COPY_RUN_WORDS consecutive words of `part` all occur in `vocabulary`: cheap
    (one byte per word, searched in C), and necessary for a shared run, so the exact
    comparison runs only on the few parts that pass."""
    return _RUN in bytes(map(vocabulary.__contains__, part))


def _copied_between(parts: list[tuple[str, list[str]]]) -> tuple[str, str] | None:
    """(copy, original): two parts that are the same text of three words or more, or share a
    run of COPY_RUN_WORDS words, and are not a pair another rule judges."""
    seen: dict[str, str] = {}
    for name, part in parts:
        if len(part) >= 3:
            other = seen.setdefault(" ".join(part), name)
            if other != name and not _may_share(other, name):
                return name, other
    # Only parts that long can share a run; most are shorter (steps, criteria).
    long = [(name, part) for name, part in parts if len(part) >= COPY_RUN_WORDS]
    if len(long) < 2:
        return None
    in_parts = Counter(chain.from_iterable(set(part) for _, part in long))
    shared = {word for word, count in in_parts.items() if count > 1}
    for name, part in long:
        if not _has_run_from(part, shared):
            continue
        for run in runs(part, COPY_RUN_WORDS):
            other = seen.setdefault(run, name)
            if other != name and not _may_share(other, name):
                return name, other
    return None


@rule("no_copy", "No copy-paste",
      ("summary", "user_story", "technical_notes", "steps_to_reproduce", "expected_behaviour",
       "actual_behaviour", "acceptance_criteria"))
def no_copy(ticket: CheckedTicket) -> str:
    described = ticket.description_words
    parts = [(name, ticket.words(value)) for name, value in ticket.prose()]
    for name, part in parts:
        if name in _NOT_THE_DESCRIPTION and described and part == described:
            return (f"{_name(name).capitalize()} is the description word for word; write what "
                    "a developer needs to know in your own words.")
    vocabulary = set(described)
    suspects = [(name, part) for name, part in parts
                if len(part) >= COPY_RUN_WORDS and _has_run_from(part, vocabulary)]
    if len(suspects) > DESCRIPTION_COPIES_ALLOWED:
        runs_described = runs(described, COPY_RUN_WORDS)
        pasted = [name for name, part in suspects if runs_described & runs(part, COPY_RUN_WORDS)]
        if len(pasted) > DESCRIPTION_COPIES_ALLOWED:
            return (f"The description is pasted into {_name(pasted[0])} and "
                    f"{_name(pasted[1])}; quote it once at most and write the rest in your own "
                    "words.")
    title = ticket.words(ticket.title)
    for name, part in parts:
        if len(part) >= 3 and part == title:
            return f"{_name(name).capitalize()} repeats the title; say more than the title does."
    copied = _copied_between(parts)
    if copied:
        return (f"{_name(copied[0]).capitalize()} repeats {_name(copied[1])} word for word; "
                "say each thing once.")
    return ""
