"""The ticket's prose: its user story and its summary.

The user story puts the description's role, goal and benefit in their places ("As a team
admin, I want to export … so that finance can reconcile payments"), inferring a real benefit
when none is given; the summary says what is missing or wrong, why it matters and what is in
scope, in new words rather than the description pasted back.
"""

import re

from tickets.kinds import TicketKind

from . import english
from .bug_criteria import bug_action
from .bug_reading import BugReading, subject_of
from .feature_criteria import limited_to_role
from .outcomes import benefit as inferred_benefit
from .outcomes import parse_action, they
from .phrases import participle_goal, task_purpose
from .reading import Reading
from .titles import (
    BOUNDARY_WORDS,
    GENERIC_SUBJECTS,
    PLACE_NOUNS,
    short_symptom,
    strip_env,
    trim_dangling,
)


def _setting(step: str) -> str:
    """A step as the condition it sets: "use a phone with no network" -> "on a phone with no
    network"; "add a code to the cart" -> "adding a code to the cart"."""
    if step.startswith("use "):
        return f"on {step[4:]}"
    return english.verb_phrase_gerund(step)


# --- user story ---------------------------------------------------------------------------


def _thing(goal: str) -> str:
    """A thing one wants: "dark mode for the app" -> "dark mode in the app"."""
    return re.sub(rf"\s+for\s+(?P<p>(?:the|our|my)\s+(?:[\w-]+\s+)?{PLACE_NOUNS})$",
                  r" in \g<p>", goal)


def _notified(reading: Reading) -> re.Match | None:
    """"notify project owners in Slack" when the story is the project owners'."""
    if not reading.recipient:
        return None
    return re.match(rf"^(?P<v>notify|alert|remind|message)\s+{re.escape(reading.recipient)}\b"
                    r"(?P<rest>.*)$", reading.goal, re.IGNORECASE)


def _wish(reading: Reading) -> str:
    notified = _notified(reading)
    if notified:
        return f"to be {english.participle(notified.group('v').lower())}{notified.group('rest')}"
    if reading.recipient:
        shown = re.match(r"^\w+\s+(?P<x>.+?)\s+to\s+" + re.escape(reading.recipient) +
                         r"\b(?P<rest>.*)$", reading.goal, re.IGNORECASE)
        if shown:
            verb = "get" if reading.goal.split()[0].lower() in ("send", "email", "give") \
                else "see"
            return f"to {verb} {shown.group('x')}{_first_person(shown.group('rest'))}"
    if reading.thing:
        return reading.thing
    action = parse_action(reading.goal)
    if action and action.purpose and action.purpose.split()[0] in ("see", "know", "find"):
        # "scan a barcode to see what is next" -> "see what is next as soon as I scan …"
        return f"to {action.purpose} as soon as I {action.phrase}"
    if action:
        return f"to {action.full}"
    if participle_goal(reading.goal):
        return reading.goal
    return _thing(reading.goal)


def _first_person(text: str) -> str:
    return re.sub(r"\btheir\b", "my", re.sub(r"\bthey\b", "I", text))


def story_role(reading: Reading) -> str:
    return reading.role or reading.mentioned_role or "user"


def user_story(reading: Reading) -> str:
    wanted = _wish(reading)
    trigger = _first_person(reading.trigger) if reading.recipient else reading.trigger
    if trigger.endswith(" for the first time"):
        wanted += f" the first time {trigger[: -len(' for the first time')]}"
    elif trigger:
        wanted += f" {trigger}" if re.match(r"^(?:after|if|as soon as|every|each)\b",
                                            trigger) else f" when {trigger}"
    reason = reading.benefit or inferred_benefit(f"{reading.goal} {reading.trigger}",
                                                 parse_action(reading.goal))
    return f"As {english.with_article(story_role(reading))}, I want " \
           f"{english.lower_first(wanted)} so that {english.lower_first(reason)}"


# --- summary ------------------------------------------------------------------------------


def _people(reading: Reading) -> str:
    return english.capitalize(english.plural_phrase(story_role(reading)))


def _third_person(benefit: str, reading: Reading) -> str:
    people = english.plural_phrase(story_role(reading))
    text = re.sub(r"^I\b", people, benefit)
    text = re.sub(r"\bI\b", "they", text)
    text = re.sub(r"\bmy\b", "their", text)
    text = re.sub(r"\bme\b", "them", text)
    text = re.sub(r"\bmyself\b", "themselves", text)
    text = re.sub(rf"^{re.escape(people)} am\b", f"{people} are", text)
    text = re.sub(r"\bthey am\b", "they are", text)
    return text


def summary(reading: Reading, kind: TicketKind, bug: BugReading | None = None) -> str:
    if bug is not None:
        return _bug_summary(reading, bug)
    if kind.offline.criteria == "done":
        return _task_summary(reading)
    return _feature_summary(reading)


def _short(phrase: str, count: int = 8) -> str:
    """The first words of a phrase, ending before a phrase boundary: enough to name it."""
    words = re.split(r",\s+", phrase)[0].split()
    if len(words) <= count:
        return " ".join(words)
    clause = [index for index in range(2, count + 1)
              if words[index].lower() in ("instead", "so", "because", "which", "while", "when",
                                          "without", "unless", "until")]
    cut = max(clause or [index for index in range(2, count + 1)
                         if words[index].lower() in BOUNDARY_WORDS and words[index] != "and"],
              default=count)
    return trim_dangling(" ".join(words[:cut]))


def _details(reading: Reading) -> str:
    named = [fact for fact in reading.facts if len(fact.split()) <= 4][:5]
    return f" Details to keep: {english.join_and(named)}." if len(named) > 1 else ""


def _feature_summary(reading: Reading) -> str:
    action = parse_action(reading.goal)
    people = _people(reading)
    notified = _notified(reading)
    if notified:
        missing = f"{people} are not {english.participle(notified.group('v').lower())}" \
                  f"{notified.group('rest')} today."
    elif reading.recipient:
        thing = re.match(r"^\w+\s+(?P<x>.+?)\s+to\s+", reading.goal)
        shown = re.sub(r"^(?:an?|the)\s+", "", _short(thing.group("x") if thing else reading.goal,
                                                      5))
        missing = f"{people} get no {shown} today."
    elif not action and participle_goal(reading.goal):
        done = re.match(r"^(?P<x>.+?)\s+(?P<v>\w+ed)\b(?P<rest>.*)$", reading.goal)
        verb = "are" if english.is_plural(english.head_noun(done.group("x"))) else "is"
        when = f" when {they(reading.trigger)}" if reading.trigger else ""
        missing = f"Today {they(done.group('x'))} {verb} not {done.group('v')}{when}."
    elif reading.thing or not action:
        thing = _short(they(reading.thing or _thing(reading.goal)))
        missing = f"The product does not offer {english.lower_first(thing)} yet."
    elif action.purpose:
        missing = f"Today {english.lower_first(people)} cannot {they(action.purpose)} when " \
                  f"they {_short(they(action.phrase))}."
    else:
        missing = f"{people} cannot {_short(they(reading.goal))} yet."
    why = reading.benefit or inferred_benefit(f"{reading.goal} {reading.trigger}", action)
    scope = ("This ticket covers the main flow, who may use it and the edge cases below."
             if limited_to_role(reading) and parse_action(reading.goal) else
             "This ticket covers the main flow and the edge cases "
             "below.")
    return f"{missing} With it, {_short(_third_person(why, reading), 12)}. " \
           f"{scope}{_details(reading)}"


def _consequence(bug: BugReading, action: str) -> str:
    """": the upload never finishes and nothing tells them why", from the symptoms."""
    joined = " ".join(bug.symptoms).lower()
    verb = action.split()[0].lower() if action else ""
    thing = f"the {verb}" if verb in english.NOUN_VERBS else "it"
    parts = []
    if re.search(r"never stops|keeps (?:spinning|loading)|\bhangs?\b|\bstuck\b|freez", joined):
        parts.append(f"{thing} never finishes")
    elif "crash" in joined:
        parts.append("the app crashes")
    if re.search(r"\bno (?:error|message|feedback)\b|silently|nothing happens", joined):
        parts.append("nothing tells them why")
    return f": {english.join_and(parts)}" if parts else ""


def _bug_summary(reading: Reading, bug: BugReading) -> str:
    env = f" on {reading.environment[0]}" if reading.environment else ""
    action = bug_action(bug)
    symptom = bug.symptoms[0] if bug.symptoms else reading.goal
    subject = subject_of(symptom)
    if not subject and not bug.action:
        problem = f"{english.capitalize(they(symptom))}{env}: the report gives no error text, " \
                  "platform or steps, so the first task is to reproduce it."
    elif action and re.search(r"\bslow\b|\btakes?\b.*\d+\s+(?:seconds|minutes)",
                              " ".join(bug.symptoms)):
        doing = english.verb_phrase_gerund(they(strip_env(action, reading)))
        took = re.search(r"\d+\s+(?:seconds|minutes)", " ".join(bug.symptoms))
        problem = f"{english.capitalize(doing)}{env} is slow" + \
                  (f": it takes about {took.group(0)}." if took else ".")
    elif action and (not subject or GENERIC_SUBJECTS.match(subject)):
        who = english.plural_phrase(reading.role_or_user)
        problem = f"{english.capitalize(who)}{env} cannot " \
                  f"{_short(they(english.one_of_phrase(strip_env(action, reading))), 9)}" \
                  f"{_consequence(bug, action)}."
    else:
        setup = [_setting(they(strip_env(c, reading))) for c in (*bug.conditions, bug.action)
                 if c]
        seen = [english.lower_first(_short(short_symptom(s), 12)) for s in bug.symptoms[:2]
                if subject_of(s)]
        settings = [step if step.startswith("on ") or index else f"after {step}"
                    for index, step in enumerate(setup)]
        after = f" {english.join_and(settings)}" if setup and len(bug.symptoms) == 1 else ""
        problem = f"Reported{env}: {english.join_and(seen) or english.lower_first(symptom)}{after}."
    context = []
    if bug.since:
        context.append(f"It happens {re.sub(r'^(?:it )?(?:happens|started) ', '', bug.since)}.")
    if bug.works_elsewhere:
        context.append(f"{english.capitalize(bug.works_elsewhere)} is not affected.")
    for sentence in bug.impact[:1]:
        # The reporter's "our customers … their meetings" reads "the customers … the meetings".
        impact = re.sub(r"\b(?:our|their|these|those)\b", "the", they(sentence),
                        flags=re.IGNORECASE)
        context.append(f"Impact: {english.lower_first(impact)}.")
    if reading.environment:
        context.append("Other platforms are out of scope unless they fail the same way.")
    problem = problem if problem.endswith(".") else f"{problem}."
    return " ".join([problem, *context])


_WHY_BY_VERB = {
    "upgrade": "to stay on versions that still get security fixes",
    "update": "to stay on versions that still get security fixes",
    "migrate": "to leave a setup that is harder and harder to maintain",
    "rotate": "to limit the damage if the current credentials have leaked",
    "remove": "to stop maintaining code nobody should use",
    "delete": "to stop maintaining code nobody should use",
    "write": "so that nobody depends on one person's memory",
    "document": "so that nobody depends on one person's memory",
    "set": "so that the team can rely on it without manual steps",
    "refactor": "so that the next changes cost less",
    "replace": "to drop a dependency the team no longer wants",
}


def _task_summary(reading: Reading) -> str:
    steps = list(reading.steps) or [reading.goal]
    gerunds = [english.verb_phrase_gerund(they(_short(step, 10))) for step in steps[:4]]
    action = parse_action(steps[0])
    purpose = task_purpose(reading.text)
    why = reading.reason or (f"to {purpose}" if purpose else "") or \
        _WHY_BY_VERB.get(action.base if action else "", "")
    first = f"Technical work: {english.join_and(gerunds)}"
    if why:
        first += f", {why}" if why.startswith(("to ", "so ")) else f", because {why}"
    return f"{first}. No user-facing change is intended; the criteria list the checks that " \
           f"show it is done.{_details(reading)}"
