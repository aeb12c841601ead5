"""Acceptance criteria for features and stories: the asker does what they asked for and sees
the result, plus what a careful PM adds: the edge case of that kind of action, a limit the
description sets ("up to 100 products"), who may not do it (when only some roles may), and
each further requirement the description states.
"""

import re

from . import english
from .criteria import actor, criterion, finish
from .english import word_set
from .feature_topics import feature_criteria
from .outcomes import Action, edge_case, outcome, parse_action, they
from .phrases import participle_goal, split_actions, statement_then
from .reading import Reading

# Roles that hold a right others lack: a feature for them needs a "not for others" check.
_PRIVILEGED = word_set("""
admin administrator manager owner moderator supervisor lead approver accountant staff
""")
# A requirement longer than this many words is split into clauses: each is checked alone.
_LONG_STATEMENT = 12


def done(action: Action) -> str:
    """"export the list" -> "exported the list"."""
    verb_words = action.verb.split()
    index = verb_words.index(action.base) if action.base in verb_words else 0
    verb_words[index] = english.participle(action.base)
    rest = action.phrase.split()[len(action.verb.split()):]
    return they(" ".join([*verb_words, *rest]))


def _context(reading: Reading) -> str:
    if reading.place:
        return f" on {they(reading.place)}"
    if reading.environment:
        return f" on {reading.environment[0]}"
    return ""


def _alternatives(action: Action) -> list[Action]:
    """"pay with Apple Pay and Google Pay" -> one action per named alternative."""
    match = re.search(r"\b(?P<prep>with|using|via|by)\s+(?P<a>[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)\s+"
                      r"(?:and|or)\s+(?P<b>[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)", action.rest)
    if not match:
        return [action]
    out = []
    for name in (match.group("a"), match.group("b")):
        rest = action.rest[: match.start()] + f"{match.group('prep')} {name}" + \
            action.rest[match.end():]
        out.append(Action(verb=action.verb, obj=action.obj, rest=rest.strip(),
                          purpose=action.purpose, file_format=action.file_format))
    return out


def _when(action: Action, reading: Reading) -> str:
    """The trigger of an action's criterion: doing it, or for "see X", opening where X is."""
    if action.base in ("see", "view") and not action.purpose:
        where = re.search(r"\b(?:on|in)\s+(?P<w>(?:a|an|the|their|my)\s+(?!(?:and|or)\b)[\w-]+"
                          r"(?:\s(?!(?:and|or|in|on|for)\b)[\w-]+)?)", action.rest)
        if where:
            return "they open " + re.sub(r"^(?:a|an)\b", "the", they(where.group("w")))
        noun = english.noun_phrase(action.obj)
        if noun and not re.match(r"^(?:how|what|which|who|when|where|whether)\b", action.obj):
            return "they open " + (they(noun) if noun.startswith(("the ", "their ", "my "))
                                   else re.sub(r"^(?:an?\s+)?", "the ", noun))
        return "they open their dashboard"
    return f"they {they(english.one_of_phrase(action.phrase))}"


def _limit_edge(reading: Reading, who: str, action: Action) -> dict[str, str] | None:
    """"up to 100 products" -> trying 101; "up to 24 hours before it" -> trying later."""
    count = re.search(r"\bup to (?P<n>\d+)\s+(?P<what>[a-z]+s)\b(?!\s+before)", reading.text)
    if count:
        over = int(count.group("n")) + 1
        return criterion(f"{who} with {over} {count.group('what')} chosen",
                         f"they try to {they(action.verb)} them at once",
                         f"a message says at most {count.group('n')} {count.group('what')} "
                         "can be changed at once and nothing is changed")
    before = re.search(r"\bup to (?P<n>\d+\s+\w+)\s+before\b", reading.text)
    if before:
        return criterion(f"{who} with less than {before.group('n')} left",
                         f"they try to {they(english.one_of_phrase(action.phrase))}",
                         f"a message says changes close {before.group('n')} before and "
                         "nothing is changed")
    return None


def _statement_criteria(statement: str, who: str, feature: str) -> list[dict[str, str]]:
    """A stated requirement as checks; a long one as one check per clause, so each can fail
    on its own."""
    then = statement_then(statement)
    if not then:
        return []
    then = re.sub(r"\bfor good\b", "permanently", then)
    clauses = [then]
    if len(then.split()) > _LONG_STATEMENT:
        head = re.match(r"^(?P<s>(?:[\w'-]+\s+){0,3}?[\w'-]+)\s+(?P<v>is|are|can|get|gets)\s",
                        then)
        parts = re.split(r",\s+(?:and\s+)?|;\s+", then)
        if head and len(parts) > 1:
            clauses = [parts[0]] + [_with_subject(part, head.group("s"), head.group("v"))
                                    for part in parts[1:]]
    out = []
    for clause in clauses[:3]:
        after = re.search(r"\bafter\s+(?P<n>\d+\s+\w+)", clause)
        before = re.search(r"\b(?P<n>\d+\s+\w+)\s+(?:before|in advance)\b", clause)
        if after:
            when = f"{after.group('n')} have passed"
        elif before:
            when = f"it is {before.group('n')} before the date"
        else:
            when = "they look at the result"
        out.append(criterion(f"{who} using {feature}", when, clause))
    return out


def _with_subject(clause: str, subject: str, verb: str) -> str:
    """"hidden from search" after "archived projects are read-only" -> "archived projects are
    hidden from search": each clause of a split requirement reads on its own."""
    clause = re.sub(r"^(?:and|but)\s+", "", clause)
    if re.match(rf"^{re.escape(subject)}\b|^(?:they|it)\b", clause):
        return clause
    if re.match(r"^(?:don't|doesn't|do not|does not|can|cannot|can't|will)\b", clause):
        return f"{subject} {clause}"
    return f"{subject} {verb} {clause}"


def _thing_criteria(reading: Reading, who: str) -> list[dict[str, str]]:
    """Criteria for a goal that names a thing ("dark mode", "a Slack integration that posts
    a message to a chosen channel") rather than something the asker does."""
    thing = reading.thing or reading.goal
    core, *qualifiers = re.split(r",\s+", thing)
    relative = re.match(r"^(?P<x>.+?)\s+(?:that|which)\s+(?P<v>\w+)\s+(?P<rest>.+)$", core)
    out = []
    if relative:
        bare = re.sub(r"^(?:an?|the)\s+", "", relative.group("x"), flags=re.IGNORECASE)
        given = f"{who} who has set up the {bare}"
        when = they(reading.trigger) if reading.trigger else "the event it listens for happens"
        out.append(criterion(given, when, f"the {bare} {relative.group('v')} "
                                          f"{they(relative.group('rest'))}"))
        out.append(criterion(f"{who} who has not set up the {bare}", when, "nothing is posted "
                             "or sent"))
    else:
        out += [criterion(f"{who}{given}", when, then)
                for given, when, then in feature_criteria(core, reading.trigger)]
    name = re.sub(r"\s*\([^)]*\)|\s+(?:with|for|in|on)\s+.+$", "", core).strip()
    for qualifier in qualifiers[:2]:
        out.append(criterion(f"{who} who opens the settings", "they look at the options for "
                             f"{english.lower_first(name)}",
                             f"{english.lower_first(name)} is {qualifier}"))
    return out


def outcome_criteria(reading: Reading) -> list[dict[str, str]]:
    """Features and stories: the main path, its edge cases, who may not, what else is asked."""
    who = actor(reading)
    goal = reading.goal if reading.goal_is_action else participle_goal(reading.goal)
    actions = [parse_action(part) for part in split_actions(goal)] if goal else []
    actions = [action for action in actions if action]
    builds_a_thing = bool(reading.thing) and not reading.recipient
    criteria = []
    main = None
    if actions and not builds_a_thing:
        main = actions[0]
        firsts = _alternatives(main)
        for index, action in enumerate([*firsts, *actions[1:]][:4]):
            if index == 0 or action in firsts:
                given = f"{who}{_context(reading)}"
            else:
                given = f"{who} who has {done(actions[0])}"
            when = _when(action, reading)
            then = outcome(action)
            if reading.trigger and index == 0:
                held = they(f"{action.obj} {action.rest}".strip())
                holding = f" with {held}" if action.obj and not reading.recipient and \
                    action.base not in ("get", "receive", "send", "email", "notify") else ""
                given, when = f"{who}{holding}", they(reading.trigger)
                then = _still_there(action) or then
            if reading.recipient and not reading.trigger and action.base in (
                    "show", "display", "send", "email", "notify", "offer"):
                given = f"{who}{_timing(action.rest)}"
                when = "they open the app"
            if reading.recipient and english.plural_phrase(reading.role) == reading.recipient:
                then = re.sub(rf"^(?:the )?{re.escape(reading.recipient)} receive\b",
                              "they receive", then)
            if action in firsts[1:]:
                # The second way of doing it is checked for what tells the two apart.
                name = re.search(r"\b(?:with|using|via|by)\s+(?P<n>[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)",
                                 action.rest)
                first = re.search(r"\b(?:with|using|via|by)\s+(?P<n>[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)",
                                  firsts[0].rest)
                if name and first:
                    given = f"{who} who has only {name.group('n')} set up"
                    then = f"the confirmation names {name.group('n')}, not {first.group('n')}"
            criteria.append(criterion(given, when, then))
        limit = _limit_edge(reading, who, main)
        if limit:
            criteria.append(limit)
        edge = next((found for action in actions if (found := edge_case(action, who))), None) \
            if not (reading.trigger and main.base in ("save", "add", "keep")) else None
        timing = re.search(r"\b(?P<n>\d+)\s+(?P<unit>days?|hours?|weeks?)\s+before\s+(?P<x>[^,]+)",
                           main.rest)
        if reading.recipient and timing:
            shown = english.noun_phrase(they(main.obj)).split(" ", 1)[-1]
            edge = (f"{who} with more time left than that", "they sign in",
                    f"no {shown} appears until {timing.group('n')} {timing.group('unit')} "
                    "are left")
        if edge:
            criteria.append(criterion(*edge))
    else:
        criteria += _thing_criteria(reading, who)
    feature = _feature_name(reading, main)
    for sentence in reading.more:
        criteria += _statement_criteria(sentence, who, feature)
    if main and len(criteria) < 2:
        criteria.append(criterion(
            "the server cannot complete the request", f"{who} tries to {they(main.phrase)}",
            "an error message says the request failed and nothing is changed"))
    if main and limited_to_role(reading):
        deed = f"{they(main.verb)} {they(english.noun_phrase(main.obj) or main.obj)}".strip()
        criteria.append(criterion(f"a signed-in user who is not {who}",
                                  f"they open the page where {english.plural_phrase(reading.role)}"
                                  f" {deed}", f"no option to {deed} is shown"))
    return finish(criteria, reading)


def _still_there(action: Action) -> str:
    """For "save X when I sign out": X is there again at the next sign-in."""
    if action.base in ("save", "keep", "remember", "store"):
        thing = they(action.obj)
        return f"{thing} {'are' if english.is_plural(english.head_noun(thing)) else 'is'} " \
               "still there at their next sign-in"
    return ""


def limited_to_role(reading: Reading) -> bool:
    """Whether only the named role may do it (so the criteria check that others may not)."""
    return bool(reading.role.split()) and reading.role.split()[-1] in _PRIVILEGED and \
        not reading.recipient


def _timing(rest: str) -> str:
    """", 7 days before their subscription renews" from "… 7 days before their …"."""
    match = re.search(r"\b(?P<t>\d+\s+\w+\s+(?:before|after)\s+[^,]+)", rest)
    return f", {they(match.group('t'))}" if match else ""


def _feature_name(reading: Reading, main: Action | None) -> str:
    if main:
        noun = english.noun_phrase(main.obj)
        return f"the {main.base} option" if main.base in english.NOUN_VERBS and noun else \
            f"the ability to {main.verb} {they(noun or main.obj)}".strip()
    core = re.sub(r"\s+(?:for|in|on|to)\s+(?:the|our|my)\s+.+$", "", reading.thing or
                  reading.goal).strip()
    return core if core.lower().startswith(("the ", "a ", "an ")) else english.lower_first(core)
