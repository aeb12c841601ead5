"""The scorecard's words in the reader's language.

A scorecard is stored in English (its labels and messages also go to the model when a reply is
repaired or a ticket improved), so pages translate it when they show it. A label or a message
without values is a catalogue entry as it is (`gettext_noop` where the rule writes it); one
with values (a length, a number, a quoted title) is matched against the English patterns below
and rebuilt from its translated pattern. Anything else is shown as it was stored.
"""

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

# Each pattern reads exactly as the rule (tickets/quality/*_rules.py, readiness.py) writes it.
PATTERNS = (
    # title_rules
    gettext_noop("There is no title; write %(min)s to %(max)s characters that name the change."),
    gettext_noop("The title has %(length)s characters; write %(min)s to %(max)s that name the "
                 "change."),
    gettext_noop("The title has %(length)s characters; shorten it to %(max)s or fewer and put "
                 "the detail in the summary."),
    gettext_noop("The title repeats the description; name the change or the broken behaviour in "
                 "a few words of your own."),
    gettext_noop("The title is the start of the description cut short; name the change or the "
                 "broken behaviour in a few words of your own."),
    gettext_noop("The title “%(title)s” does not say what changes or what is broken; name the "
                 "feature, screen or behaviour."),
    # story_rules
    gettext_noop("The user story has %(count)s “so that” clauses; keep one benefit."),
    gettext_noop("The story speaks for “%(role)s”, but the description names “%(named)s”; write "
                 "it from their side."),
    gettext_noop("The story's role “%(role)s” does not name a person; say who benefits (e.g. “a "
                 "team admin”)."),
    gettext_noop("The benefit “%(benefit)s” could follow any story; say what the user gains "
                 "(time saved, a mistake avoided, a decision made)."),
    # bug_rules
    gettext_noop("There is one step to reproduce; list at least %(min)s numbered actions a "
                 "tester can follow."),
    gettext_noop("There are no steps to reproduce; list at least %(min)s numbered actions a "
                 "tester can follow."),
    gettext_noop("Step %(number)s repeats the description; list what a tester does instead "
                 "(“Open …”, “Tap …”)."),
    gettext_noop("Only %(actions)s of the %(steps)s steps is an action; start each with what the "
                 "tester does (“Open …”, “Tap …”)."),
    gettext_noop("Only %(actions)s of the %(steps)s steps are an action; start each with what "
                 "the tester does (“Open …”, “Tap …”)."),
    gettext_noop("Expected behaviour is missing; say what should happen and what happens now."),
    gettext_noop("Actual behaviour is missing; say what should happen and what happens now."),
    # criteria_rules
    gettext_noop("There are no acceptance criteria; write %(min)s to %(max)s covering the main "
                 "case and what can go wrong."),
    gettext_noop("There is 1 acceptance criterion; write %(min)s to %(max)s covering the main "
                 "case and what can go wrong."),
    gettext_noop("There are %(count)s acceptance criteria; keep the %(max)s that matter most or "
                 "split the ticket."),
    gettext_noop("Criterion %(number)s has no When; say what the user or the system does."),
    gettext_noop("Criterion %(number)s has more than one When; split so that each criterion "
                 "tests one action."),
    gettext_noop("Criteria %(first)s and %(second)s say nearly the same thing; merge them or "
                 "make each cover a different case."),
    gettext_noop("The outcome of criterion %(number)s says %(quoted)s, which nobody can check; say "
                 "what is seen or measured (e.g. “within 2 seconds”)."),
    gettext_noop("The outcome of criteria %(numbers)s says %(quoted)s, which nobody can check; "
                 "say what is seen or measured (e.g. “within 2 seconds”)."),
    gettext_noop("Criteria %(numbers)s have no When; say what the user or the system does."),
    gettext_noop("Criteria %(numbers)s have more than one When; split so that each criterion "
                 "tests one action."),
    gettext_noop("The criteria never mention %(quoted)s from the description; a tester needs "
                 "them to check the work."),
    # bug_rules, environment
    gettext_noop("The description says it happens on %(places)s, but the ticket never does; name "
                 "it in the steps or the actual behaviour."),
    # scope_rules
    gettext_noop("There is no estimate; set the story points (%(scale)s)."),
    gettext_noop("%(points)s is not on the story-point scale; use %(scale)s."),
    gettext_noop("%(count)s acceptance criteria are more work than 1 point; raise the estimate "
                 "or split the ticket."),
    gettext_noop("%(count)s acceptance criteria are more work than %(points)s points; raise the "
                 "estimate or split the ticket."),
    gettext_noop("%(points)s points for %(count)s criteria on a one-line request look too high; "
                 "lower the estimate or describe the larger scope."),
    # scope_rules, no_copy: %(part)s and %(other)s are PARTS below, or "step 2", "criterion 3"
    gettext_noop("%(part)s is the description word for word; write what a developer needs to "
                 "know in your own words."),
    gettext_noop("The description is pasted into %(part)s and %(other)s; quote it once at most "
                 "and write the rest in your own words."),
    gettext_noop("%(part)s repeats the title; say more than the title does."),
    gettext_noop("%(part)s repeats %(other)s word for word; say each thing once."),
    # readiness (a template's Definition of Ready)
    gettext_noop("There is no story-point estimate; the Definition of Ready asks for one."),
    gettext_noop("There is 1 acceptance criterion; the Definition of Ready asks for at least "
                 "%(wanted)s."),
    gettext_noop("There are %(count)s acceptance criteria; the Definition of Ready asks for at "
                 "least %(wanted)s."),
    gettext_noop("No label names the affected area; add one of the template's labels "
                 "(%(labels)s)."),
    gettext_noop("No label names the affected component or area; add one."),
    gettext_noop("There is no user story “As a <role>, I want <goal> so that <benefit>”."),
    gettext_noop("The technical notes still hold an open question (“%(question)s”); answer it "
                 "before the work starts."),
    gettext_noop("Steps to reproduce, expected and actual behaviour are not all written down."),
    gettext_noop("Ready: has at least %(count)s acceptance criteria"),
    gettext_noop("Ready: has an estimate (story points)"),
    gettext_noop("Ready: names the affected component or area in a label"),
    gettext_noop("Ready: has a user story"),
    gettext_noop("Ready: no open questions left in the technical notes"),
    gettext_noop("Ready: has steps to reproduce, expected and actual behaviour"),
)

gettext_noop("%(first)s and %(last)s")  # the last of a list of quoted words

# The parts of a ticket a message names (scope_rules._name), and the numbered ones.
PARTS = {part: part for part in (
    gettext_noop("the summary"), gettext_noop("the user story"),
    gettext_noop("the technical notes"), gettext_noop("the expected behaviour"),
    gettext_noop("the actual behaviour"))}
_NUMBERED_PART = re.compile(r"\A(step|criterion) (\d+)\Z")
_NUMBERED_PARTS = {"step": gettext_noop("step %(number)s"),
                   "criterion": gettext_noop("criterion %(number)s")}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _matchers() -> tuple[tuple[re.Pattern, str], ...]:
    """(regex, pattern) for each pattern with values, its values captured by name."""
    matchers = []
    for pattern in PATTERNS:
        if "%(" not in pattern:
            continue
        regex, position = "", 0
        for found in _PLACEHOLDER.finditer(pattern):
            regex += re.escape(pattern[position : found.start()]) + f"(?P<{found.group(1)}>.+?)"
            position = found.end()
        regex += re.escape(pattern[position:])
        matchers.append((re.compile(rf"\A{regex}\Z", re.DOTALL), pattern))
    return tuple(matchers)


def translate(text: str) -> str:
    """A stored scorecard label or message in the active language (as stored when unknown)."""
    if not text:
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    for regex, pattern in _matchers():
        if (match := regex.match(text)) is not None:
            values = match.groupdict()
            if " or " in values.get("scale", ""):  # "1, 2, 3, 5, 8 or 13"
                head, last = values["scale"].rsplit(" or ", 1)
                values["scale"] = gettext("%(kinds)s or %(last)s") % {"kinds": head,
                                                                      "last": last}
            if " and " in values.get("numbers", ""):  # "1, 2 and 3"
                head, last = values["numbers"].rsplit(" and ", 1)
                values["numbers"] = gettext("%(first)s and %(last)s") % {"first": head,
                                                                         "last": last}
            for key in ("part", "other"):
                if key in values:
                    values[key] = _part(values[key])
            quoted = values.get("quoted", "")
            if "” and “" in quoted and not quoted.endswith(" more"):  # “a”, “b” and “c”
                head, last = quoted.rsplit(" and ", 1)
                values["quoted"] = gettext("%(first)s and %(last)s") % {"first": head,
                                                                        "last": last}
            return gettext(pattern) % values
    return text


def _part(name: str) -> str:
    """A part of the ticket a message names ("The summary", "step 2"), translated, keeping
    the capital a sentence starts with."""
    lowered = name[:1].lower() + name[1:]
    if lowered in PARTS:
        translated = gettext(lowered)
    elif (numbered := _NUMBERED_PART.match(lowered)) is not None:
        translated = gettext(_NUMBERED_PARTS[numbered[1]]) % {"number": numbered[2]}
    else:
        return name
    return translated[:1].upper() + translated[1:] if name[:1].isupper() else translated
