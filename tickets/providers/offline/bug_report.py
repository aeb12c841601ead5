"""A bug's own fields: numbered steps to reproduce, expected and actual behaviour.

Steps are actions a tester performs, in order: set up the conditions the report names, open
the place where it happens (on the named platform), do the failing thing, watch. Expected
behaviour is the report's "should" or "instead of", else each symptom turned around; actual
behaviour restates the symptoms from the tester's side, never the report pasted in.
"""

import re

from . import english
from .bug_criteria import (
    FEEDBACK_RE,
    OWN_OUTCOME,
    bug_action,
    counted_fix,
    is_login,
    negate,
)
from .bug_reading import BugReading, subject_of
from .english import word_set
from .outcomes import outcome, parse_action, they
from .reading import Reading
from .titles import symptom_context

_BROWSERS = ("safari", "chrome", "firefox", "edge", "opera", "brave", "samsung internet",
             "ios safari")
# Verbs a tester's step may start with; any other action is tried ("Try to …").
STEP_VERBS = word_set("""
add allow apply approve archive assign attach block book browse buy cancel change check choose
clear click close compare confirm connect copy create delete disable download drag drop edit
enable enter export fill filter generate go import install invite launch load log look make
move open order pay pick print publish refresh register reject reload remove rename repeat
request reset restart restore run save scan schedule scroll search select send set share sign
sort start submit switch sync tap turn type update upgrade upload use view visit wait watch
write
""")
_DURATION_RE = re.compile(r"\b(?:about\s+|around\s+|over\s+|more than\s+)?\d+\s?(?:seconds?|"
                          r"secs?|minutes?|mins?|s)\b", re.IGNORECASE)


def _preposition(env: str) -> str:
    return "in" if env.lower() in _BROWSERS or env.split()[0].lower() in _BROWSERS else "on"


def _app_or_place(reading: Reading, bug: BugReading) -> str:
    if re.search(r"\bapp\b", bug.subject, re.IGNORECASE) and not re.search(
            r"\b(?:badge|count|button|icon|banner)\b", bug.subject, re.IGNORECASE):
        subject = re.sub(r"^(?:the|my|our)\s+", "", bug.subject, flags=re.IGNORECASE)
        return f"the {subject}"
    if re.search(r"\b(?:log\s?in|sign\s?in|signin|login)\b", reading.text, re.IGNORECASE) \
            and not bug.place:
        return "the sign-in page"
    if not bug.place and re.search(r"\b(?:page|screen|dashboard|form|list|view|picker|"
                                   r"component)\b", bug.subject, re.IGNORECASE):
        subject = re.sub(r"^(?:the|my|our)\s+", "", bug.subject, flags=re.IGNORECASE)
        return f"the {english.lower_first(subject)}"
    if bug.place:
        return they(bug.place) if bug.place.lower().startswith(("the ", "my ", "our ")) else \
            f"the {bug.place[0].lower()}{bug.place[1:]}" if not bug.place[1:2].isupper() else \
            f"the {bug.place}"
    if re.search(r"\bapp\b", bug.subject, re.IGNORECASE):
        subject = re.sub(r"^(?:the|my|our)\s+", "", bug.subject, flags=re.IGNORECASE)
        return f"the {subject}"
    return "the app"


def _imperative(phrase: str) -> str:
    """A verb phrase as a step a tester can start with: "Upload a profile picture …"."""
    phrase = english.one_of_phrase(they(phrase.strip()))
    verb = phrase.split()[0].lower() if phrase.split() else ""
    if verb == "read":
        phrase = f"open and {phrase}"
    elif verb not in STEP_VERBS:
        phrase = f"try to {phrase}"
    return english.capitalize(phrase)


def _strip_environment(phrase: str, reading: Reading) -> str:
    for env in reading.environment:
        phrase = re.sub(rf"\s+(?:on|in|with|using)\s+{re.escape(env)}\b", "", phrase,
                        flags=re.IGNORECASE)
    return phrase.strip()


def steps_to_reproduce(reading: Reading, bug: BugReading) -> list[str]:
    env = reading.environment[0] if reading.environment else ""
    where = _app_or_place(reading, bug)
    if where == "the app" and _watched(bug, bug_action(bug)) not in ("the screen",) and not \
            bug_action(bug) and re.search(r"\b(?:pdfs?|reports?|emails?|photos?|files?|invoices?|"
                                          r"pages?|orders?|documents?|receipts?)$", bug.subject,
                                          re.IGNORECASE):
        where = english.one_of(re.sub(r"^the\s+", "", english.lower_first(bug.subject)))
        where = where if where.split()[0] in ("a", "an") else f"the {where}"
    before = [c for c in bug.conditions if c.split()[0] in ("use", "set", "turn", "switch")]
    after = [c for c in bug.conditions if c not in before]
    steps = [_imperative(c) for c in before]
    steps.append(f"Open {where} {_preposition(env)} {env}" if env else f"Open {where}")
    if reading.named_role:
        steps.append(f"Sign in as {english.with_article(reading.role)}")
    steps += [_imperative(c) for c in after]
    action = bug_action(bug)
    if action:
        steps.append(_imperative(_strip_environment(action, reading)))
    duration = _DURATION_RE.search(reading.text)
    thing = _watched(bug, action)
    missing = re.search(r"\b(?:is|are)\s+missing\s+(?P<o>(?:the|a|an)\s+.+|[^,]+)$",
                        bug.symptoms[0] if bug.symptoms else "", re.IGNORECASE)
    if missing:
        steps.append(f"Look for {english.lower_first(they(missing.group('o')))}")
    elif duration:
        wait = re.sub(r"^(?:about|around|over|more than)\s+", "", duration.group(0))
        steps.append(f"Wait {wait} and watch {thing}")
    elif action and action.split()[0] in ("export", "download"):
        steps.append(f"Open the downloaded file and look at {thing}")
    elif thing not in ("the screen", "the upload", "the search", "the save", "the sync"):
        steps.append(f"Look at {thing}")
    else:
        steps.append(f"Watch {thing} for a minute and note what it shows")
    return list(dict.fromkeys(steps))


def _watched(bug: BugReading, action: str) -> str:
    if bug.subject and not re.match(r"^(?:it|users?|I|we|they|the user|customers?|the system)$",
                                    bug.subject, re.IGNORECASE):
        subject = re.sub(r"\s*\([^)]*\)", "", bug.subject)
        subject = re.sub(r"^all (?:of )?the\s+", "the ", subject, flags=re.IGNORECASE)
        return english.lower_first(subject) if subject.lower().startswith("the ") else \
            f"the {english.lower_first(subject)}"
    if action:
        verb = action.split()[0].lower()
        if verb in ("upload", "download", "export", "import", "search", "save", "sync"):
            return f"the {verb}"
    return "the screen"


def expected_behaviour(reading: Reading, bug: BugReading) -> str:
    if bug.expected:
        expected = they(bug.expected)
        if expected.startswith("it ") and bug_action(bug):
            expected = f"{english.verb_phrase_gerund(they(bug_action(bug)))} {expected[3:]}"
        return english.capitalize(expected) + "."
    action_text = bug_action(bug)
    action = parse_action(english.one_of_phrase(action_text)) if action_text else None
    symptoms = [they(s) for s in bug.symptoms if not re.match(
        r"^(?:users?|customers?|I|we|they)\s+(?:cannot|can't)\b", s, re.IGNORECASE)]
    fixes = [fix for fix in (negate(s) for s in symptoms if not FEEDBACK_RE.search(s)) if fix]
    counted = counted_fix(reading.text)
    if counted:
        fixes = [fix for fix in fixes if "only" not in fix] + [counted]
    parts = []
    if action and action.base in OWN_OUTCOME:
        parts.append(outcome(action))
    parts += fixes[:3]
    if is_login(reading) and not bug.subject:
        parts = []
    if any(FEEDBACK_RE.search(s) for s in symptoms):
        parts.append("an error message says why whenever it cannot finish")
    if not parts:
        return "The user is signed in and their dashboard opens." if re.search(
            r"\b(?:log\s?in|sign\s?in|login)\b", reading.text, re.IGNORECASE) else \
            "The page opens and shows its content with no error message."
    return english.capitalize(english.join_and(parts)) + "."


_REWORDINGS = (
    (r"\b(spinner|loader|loading indicator|progress bar) never stops\b", r"\1 keeps spinning"),
    (r"\bnever (?P<v>\w+?)s\b", r"does not \g<v>"),
    (r"\bno error is shown\b", "no error message appears"),
    (r"\bno (?P<n>\w+) is shown\b", r"no \g<n> appears"),
    (r"\bcan't\b", "cannot"),
    (r"\bdoesn't\b", "does not"),
    (r"\bdon't\b", "do not"),
    (r"\bisn't\b", "is not"),
    (r"\b(?P<s>it|system|app|page) (?P<v>show|give|return|throw)\b", r"\g<s> \g<v>s"),
    (r"\band not (?P<v>\w+)\b", r"and does not \g<v>"),
    (r"\bis very slow\b", "is slow"),
    (r"\bit does nothing\b", "nothing happens"),
    (r"\bsilently (?P<rest>.+)$", r"\g<rest>, without any warning"),
    (r"\ball my\b", "all the user's"),
)


def _reword(symptom: str) -> str:
    """A symptom in the tester's words ("the spinner keeps spinning"): short quotes of the
    report, never the report itself."""
    text = english.lower_first(symptom.strip())
    for pattern, replacement in _REWORDINGS:
        text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    return they(text)


def actual_behaviour(reading: Reading, bug: BugReading) -> str:
    action = bug_action(bug)
    env = f" on {reading.environment[0]}" if reading.environment else ""
    symptoms = [_reword(s) for s in bug.symptoms if not re.match(
        r"^(?:users?|customers?|I|we|they)\s+(?:cannot|can't)\b", s, re.IGNORECASE)]
    if symptoms and not any(subject_of(s) for s in bug.symptoms):
        said = "; ".join(bug.symptoms)
        return f"Reported as \u201c{said}\u201d{env}, with no error text or steps given."
    if action and bug.action:
        lead = f"After {english.verb_phrase_gerund(they(_strip_environment(action, reading)))}" \
               f"{env}"
        if not symptoms:
            return f"{lead}, the {action.split()[0]} does not finish and nothing says why."
        # "the tester sees" keeps the report's sentence from being pasted back whole.
        return f"{lead}, the tester sees this: {english.join_and(symptoms)}."
    setting = [f"on {c[4:]}" if c.startswith("use ") else f"after {english.verb_phrase_gerund(c)}"
               for c in bug.conditions]
    if symptoms and setting:
        return f"{english.capitalize(english.join_and(setting))}, the tester sees this: " \
               f"{english.join_and(symptoms)}."
    context = symptom_context(bug.symptoms[0]) if len(bug.symptoms) == 1 else None
    if context:
        return f"{english.capitalize(context[0])}: the tester sees that " \
               f"{english.lower_first(_reword(context[1]))}{f' ({env.strip()})' if env else ''}."
    if symptoms and any(subject_of(s) for s in bug.symptoms):
        text = english.join_and(symptoms)
        mentioned = env and env.strip()[3:].lower() in text.lower()
        return f"The tester sees that {text}{'' if mentioned or not env else env}."
    said = "; ".join(bug.symptoms) or reading.text
    return f"Reported as \u201c{said}\u201d{env}, with no error text or steps given."
