"""Rules on the ticket as a whole, in any language: an estimate that fits the scope, and no
field pasted from the description or from another field."""

from django.utils.translation import gettext_noop

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
# Every 7th run of 7 words lies whole inside any run of 13: what copies are first looked for.
ANCHOR_WORDS = 7
# Pasting a longer run of the description is tolerated in this many fields: a story written
# from a description that already is a user story, or a quoted error message.
DESCRIPTION_COPIES_ALLOWED = 1
# Fields that must never be the description itself.
_NOT_THE_DESCRIPTION = ("summary", "technical_notes", "expected_behaviour", "actual_behaviour")
# Pairs of kinds of part other rules judge: expected vs actual (bug_expected_actual), two
# criteria (criteria_distinct); a criterion may restate the expected behaviour it checks.
_MAY_SHARE = {frozenset(pair) for pair in (
    ("expected_behaviour", "actual_behaviour"), ("criterion",),
    ("criterion", "expected_behaviour"), ("criterion", "actual_behaviour"))}


def _name(part: str) -> str:
    """ "the technical notes", "step 2": a part of the ticket as a message names it."""
    return part if part[-1].isdigit() else "the " + part.replace("_", " ")


@rule("estimate", gettext_noop("Estimate fits"), ("story_points", "acceptance_criteria"))
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


def _anchors(words: list[str]) -> list[str]:
    """Runs of ANCHOR_WORDS words starting every ANCHOR_WORDS words, padded with spaces: any
    run of COPY_RUN_WORDS words contains one whole, so a text that shares such a run with
    `words` contains one of these (a cheap test in C; the exact comparison follows)."""
    return [f" {' '.join(words[start : start + ANCHOR_WORDS])} "
            for start in range(0, len(words) - ANCHOR_WORDS + 1, ANCHOR_WORDS)]


def _shares_run(first: list[str], second: list[str]) -> bool:
    return bool(runs(first, COPY_RUN_WORDS) & runs(second, COPY_RUN_WORDS))


class _Part:
    """A free-text part of the ticket as the copy check reads it."""

    def __init__(self, name: str, words: list[str]):
        self.name, self.words = name, words
        self.kind = name.split()[0]  # "step 2" is a step
        # Words one space apart, for substring tests: only a part that long holds a run.
        self.padded = f" {' '.join(words)} " if len(words) >= COPY_RUN_WORDS else ""

    def may_share(self, other: "_Part") -> bool:
        return frozenset((self.kind, other.kind)) in _MAY_SHARE


def _copied_between(parts: list[_Part]) -> tuple[str, str] | None:
    """(copy, original): two parts that are the same text of three words or more, or share a
    run of COPY_RUN_WORDS words, and are not a pair another rule judges."""
    by_length: dict[int, list[_Part]] = {}
    for part in parts:
        for other in by_length.setdefault(len(part.words), []):
            if part.words == other.words and not part.may_share(other):
                return part.name, other.name
        by_length[len(part.words)].append(part)
    # Only parts that long can share a run; most are shorter (steps, criteria).
    long = [part for part in parts if len(part.words) >= COPY_RUN_WORDS]
    for index, original in enumerate(long):
        anchors = _anchors(original.words)
        for copy in long[index + 1 :]:
            if (not copy.may_share(original)
                    and any(anchor in copy.padded for anchor in anchors)
                    and _shares_run(copy.words, original.words)):
                return copy.name, original.name
    return None


@rule("no_copy", gettext_noop("No copy-paste"),
      ("summary", "user_story", "technical_notes", "steps_to_reproduce", "expected_behaviour",
       "actual_behaviour", "acceptance_criteria"))
def no_copy(ticket: CheckedTicket) -> str:
    described = ticket.description_words
    # A part of one or two words ("Sign in") repeats nothing worth a failure.
    parts = [_Part(name, found) for name, value in ticket.prose()
             if len(found := ticket.words(value)) >= 3]
    for part in parts:
        if part.name in _NOT_THE_DESCRIPTION and described and part.words == described:
            return (f"{_name(part.name).capitalize()} is the description word for word; write "
                    "what a developer needs to know in your own words.")
    anchors = _anchors(described)
    pasted = [part.name for part in parts
              if len(part.words) >= COPY_RUN_WORDS and any(a in part.padded for a in anchors)
              and _shares_run(part.words, described)]
    if len(pasted) > DESCRIPTION_COPIES_ALLOWED:
        return (f"The description is pasted into {_name(pasted[0])} and {_name(pasted[1])}; "
                "quote it once at most and write the rest in your own words.")
    title = ticket.words(ticket.title)
    for part in parts:
        if part.words == title:
            return (f"{_name(part.name).capitalize()} repeats the title; say more than the "
                    "title does.")
    copied = _copied_between(parts)
    if copied:
        return (f"{_name(copied[0]).capitalize()} repeats {_name(copied[1])} word for word; "
                "say each thing once.")
    return ""
