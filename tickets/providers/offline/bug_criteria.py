"""Acceptance criteria for a bug: the failing action succeeds, each symptom is gone, the case
that works today still does, and a test keeps it fixed.

`negate` turns a symptom into what should be seen instead ("the spinner never stops" -> "the
spinner stops", "the system gives error 500" -> "the system does not give error 500"); the
case that works today comes from the report itself (a size limit, another browser, a network
that is there).
"""

import re

from . import english
from .bug_reading import BugReading, subject_of
from .criteria import actor, criterion, finish, on_environment
from .outcomes import outcome, parse_action, they
from .reading import Reading

_PLURAL_SUBJECT_RE = re.compile(r"^(?:they|we|you|I|users|people)$", re.IGNORECASE)
# Actions that produce something to check (a saved file, a sent email); for the others
# (tapping a button, switching a currency) the report's symptoms say what success looks like.
OWN_OUTCOME = ("upload", "import", "save", "export", "download", "send", "invite", "create",
                "add", "submit", "book", "pay", "log", "sign", "delete", "remove", "archive")
# A symptom about missing feedback: the fix is a message, checked on its own.
FEEDBACK_RE = re.compile(r"\bno (?:error|message|feedback|warning|confirmation)\b|\bsilently\b|"
                          r"without (?:any )?(?:error|message)", re.IGNORECASE)
_QUOTE_RE = re.compile(r"[\"“][^\"”]*[\"”]|(?<![A-Za-z])'[^']*'(?![A-Za-z])")


def _plural(subject: str) -> bool:
    last = re.sub(r"\([^)]*\)", "", subject).split()[-1:] or [""]
    return bool(_PLURAL_SUBJECT_RE.match(last[0])) or english.is_plural(last[0])


def _present(subject: str, verb: str) -> str:
    return verb if _plural(subject) else english.third_person(verb)


def _do(subject: str) -> str:
    return "do" if _plural(subject) else "does"


def _be(subject: str) -> str:
    return "are" if _plural(subject) else "is"


# What a user picks: shown wrong, the fix is showing what they picked.
_CHOSEN = frozenset(("day", "date", "time", "option", "language", "currency", "size",
                     "colour", "color", "plan", "item", "address", "country"))
_BASES = {"crashes": "crash", "crashed": "crash", "freezes": "freeze", "froze": "freeze",
          "hangs": "hang", "gives": "give", "shows": "show", "returns": "return",
          "throws": "throw", "displays": "display"}


def _base(verb: str) -> str:
    return _BASES.get(verb.lower(), verb.lower())


_NEGATIONS = (
    (r"^(?P<s>.+?)\s+never\s+(?P<v>\w+)(?P<r>.*)$",
     lambda m: f"{m['s']} {m['v']}{m['r']}"),
    (r"^no\s+(?P<s>[\w\s]+?)\s+(?:is|are)\s+(?P<v>\w+)(?P<r>.*)$",
     lambda m: f"{english.with_article(m['s'])} message is {m['v']}{m['r']}"
     if m["s"].split()[-1] == "error" else f"{english.with_article(m['s'])} is {m['v']}{m['r']}"),
    (r"^(?P<s>.+?)\s+(?:doesn't|does not|don't|do not|didn't|did not)\s+(?P<v>\w+)(?P<r>.*)$",
     lambda m: f"{m['s']} {_present(m['s'], m['v'])}{m['r']}"),
    (r"^(?P<s>.+?)\s+(?:isn't|is not|aren't|are not)\s+(?P<r>.+)$",
     lambda m: f"{m['s']} {_be(m['s'])} {m['r']}"),
    (r"^(?P<s>.+?)\s+(?:can't|cannot|can not)\s+(?P<r>.+)$",
     lambda m: f"{m['s']} can {m['r']}"),
    (r"^(?P<s>.+?)\s+(?:does|do) nothing(?P<r>.*)$",
     lambda m: f"{m['s']} {_present(m['s'], 'respond')} at once{m['r']}"),
    (r"^(?P<s>.+?)\s+(?:is|are)\s+missing\s+(?P<o>.+)$",
     lambda m: f"{m['s']} {_present(m['s'], 'show')} {m['o']}"),
    (r"^(?P<s>.+?)\s+(?:is|are|was|were|gets?|got)\s+lost(?P<r>.*)$",
     lambda m: f"{m['s']} {_be(m['s'])} kept{m['r']}"),
    (r"^(?P<s>.+?)\s+(?P<v>returns?|shows?|finds?|lists?)\s+no\s+(?P<o>results|matches|items|"
     r"rows|data)(?P<r>.*)$",
     lambda m: f"{m['s']} {m['v']} the matching {m['o']}{m['r']}"),
    (r"^(?P<s>.+?)\s+(?P<v>shows?|displays?|lists?|returns?)\s+duplicates of\s+(?P<o>.+)$",
     lambda m: f"{m['s']} {m['v']} each of {m['o']} once"),
    (r"^(?P<s>.+?)\s+(?P<v>\w+)\s+(?P<o>.+?)\s+twice(?P<r>.*)$",
     lambda m: f"{m['s']} {m['v']} {m['o']} once{m['r']}"),
    (r"^(?P<s>.+?)\s+(?P<v>shows?|saves?|displays?|uses?|picks?)\s+the wrong\s+(?P<o>\w+)"
     r"(?P<r>.*)$",
     lambda m: f"{m['s']} {m['v']} the {m['o']} the user chose{m['r']}"
     if m["o"].lower() in _CHOSEN else f"{m['s']} {m['v']} the right {m['o']}{m['r']}"),
    (r"^(?P<s>.+?)\s+(?P<v>gives?|shows?|returns?|throws?|displays?)\s+(?P<r>(?:an?\s+)?"
     r"(?:\w+\s+)?error\b.*)$",
     lambda m: f"{m['s']} {_do(m['s'])} not {_base(m['v'])} {m['r']}"),
    (r"^(?P<s>.+?)\s+(?P<v>crash\w*|freez\w*|hang\w*)(?P<r>.*)$",
     lambda m: f"{m['s']} {_do(m['s'])} not {_base(m['v'])}{m['r']}"),
    (r"^(?P<s>.+?)\s+(?:is|are)\s+(?:very\s+|really\s+|too\s+)?slow\b(?P<r>.*)$",
     lambda m: f"{m['s']} {_present(m['s'], 'show')} its content within 2 seconds{m['r']}"),
    (r"^(?P<s>.+?)\s+(?:is|are)?\s*(?:broken|down)\b(?P<r>.*)$",
     lambda m: f"{m['s']} {_present(m['s'], 'open')} without an error{m['r']}"),
)
_NEGATION_RES = tuple((re.compile(pattern, re.IGNORECASE), write)
                      for pattern, write in _NEGATIONS)
_AUXILIARY_RE = re.compile(r"^(?P<aux>is|are|was|were|has|have|can|will)\s+(?P<rest>.+)$",
                           re.IGNORECASE)


def negate(symptom: str) -> str:
    """What should be seen instead of `symptom`; empty when no pattern reads it. Quoted text
    (an error message) is kept as it is."""
    quotes: list[str] = []

    def keep(match: re.Match) -> str:
        quotes.append(match.group(0))
        return f"QUOTE{len(quotes) - 1}"

    text = _QUOTE_RE.sub(keep, " ".join(symptom.split()).strip(" ."))
    fixed = ""
    for pattern, write in _NEGATION_RES:
        match = pattern.match(text)
        if match:
            fixed = " ".join(write(match).split())
            break
    if not fixed:
        subject = subject_of(text)
        if subject:
            rest = text[len(subject):].strip()
            rest = re.sub(r"^(?:silently|always|sometimes|often|randomly|still)\s+", "", rest)
            auxiliary = _AUXILIARY_RE.match(rest)
            fixed = f"{subject} {auxiliary.group('aux')} no longer {auxiliary.group('rest')}" \
                if auxiliary else f"{subject} no longer {rest}"
    for index, quote in enumerate(quotes):
        fixed = fixed.replace(f"QUOTE{index}", quote)
    return _the(fixed)


def _the(clause: str) -> str:
    """"search results page shows …" -> "the search results page shows …"."""
    subject = subject_of(clause)
    if subject and not re.match(r"^(?:(?i:the|a|an|my|their|our|all|every|each|no|it|they|we|"
                                r"users?|customers?|people|nothing)|I|[A-Z]{2,})\b", subject):
        return f"the {english.lower_first(clause)}"
    return english.lower_first(clause)


def _is_feedback(symptom: str) -> bool:
    return bool(FEEDBACK_RE.search(symptom))


def _is_inability(symptom: str) -> bool:
    return bool(re.match(r"^(?:users?|customers?|I|we|they|people|mobile \w+)\s+(?:cannot|can't)\b",
                         symptom, re.IGNORECASE))


def counted_fix(text: str) -> str:
    """"An import of 1,200 contacts … but only 850 were created" -> "all 1,200 contacts are
    created, not only 850"."""
    match = re.search(r"\b(?P<n>\d[\d,.]*)\s+(?P<noun>[a-z]+s)\b.*?\bonly\s+(?P<m>\d[\d,.]*)\s+"
                      r"(?:were|was|are|got)\s+(?P<v>\w+)", text, re.IGNORECASE)
    if not match:
        return ""
    return f"all {match['n']} {match['noun']} are {match['v']}, not only {match['m']}"


def bug_action(bug: BugReading) -> str:
    """The failing action, or the nearest thing a tester does to see the bug."""
    if bug.action:
        return bug.action
    subject = bug.subject.lower()
    head = subject.split()[-1] if subject.split() else ""
    if head in ("import", "export", "sync", "backup"):
        return f"run {english.with_article(bug.subject)}"
    if head in ("search", "upload", "download", "checkout"):
        target = re.search(r"\bfor\s+(?P<x>[^,]+)$", bug.symptoms[0]) if bug.symptoms else None
        if head == "search" and target:
            return f"search for {target.group('x')}"
        return {"checkout": "check out"}.get(head, head)
    if re.search(r"\b(?:log\s?in|sign\s?in|signin|login)\b", f"{subject} {' '.join(bug.symptoms)}",
                 re.IGNORECASE):
        return "sign in with a valid email and password"
    return ""


def _state(condition: str) -> str:
    """A setup step as a state: "add a discount code to the cart" -> "who has added a
    discount code to the cart"; "use a phone with no network" -> "on a phone with no network"."""
    action = parse_action(condition)
    if condition.startswith("use "):
        return f" on {condition[4:]}"
    if not action:
        return ""
    words = condition.split()
    words[0] = english.participle(words[0])
    return f" who has {they(' '.join(words))}"


def fix_criteria(reading: Reading, bug: BugReading) -> list[dict[str, str]]:
    """Bugs: the failing action succeeds, each symptom is gone, the working case still works."""
    who = actor(reading)
    env = on_environment(reading)
    action_text = _without_environment(bug_action(bug), reading)
    conditions = list(bug.conditions)
    if action_text.startswith("use ") and not conditions:
        conditions, action_text = [action_text], ""
    action = parse_action(english.one_of_phrase(action_text)) if action_text else None
    given = f"{who}{env}" + "".join(_state(c) for c in conditions[:2])
    opened = _subject_place(bug) if re.search(r"\bapp\b", bug.subject, re.IGNORECASE) else \
        bug.place or _subject_place(bug) or "the app"
    opened = english.lower_first(opened)
    if opened == "the app" and re.search(r"\b(?:pdfs?|reports?|emails?|photos?|files?|invoices?|"
                                         r"pages?|orders?|documents?|receipts?)$", bug.subject,
                                         re.IGNORECASE):
        opened = english.one_of(re.sub(r"^the\s+", "", english.lower_first(bug.subject)))
        opened = opened if opened.split()[0] in ("a", "an") else f"the {opened}"
    when = f"they {they(english.one_of_phrase(action_text))}" if action_text else \
        f"they open {they(opened)}"
    symptoms = [they(s) for s in bug.symptoms if not _is_inability(s)]
    feedback = [s for s in symptoms if _is_feedback(s)]
    fixes = [fix for fix in (negate(s) for s in symptoms if s not in feedback) if fix]
    login_only = is_login(reading) and not bug.subject
    if login_only:
        fixes = []
    fixes = _it_after_first(fixes)
    took = re.search(r"\b(?:about|like|around)?\s*(?P<t>\d+\s+(?:seconds|minutes))\b", reading.text)
    if took:
        # "within 2 seconds" says more next to what it takes today.
        fixes = [f"{fix} instead of {took.group('t')}" if "within 2 seconds" in fix else fix
                 for fix in fixes]
    counted = counted_fix(reading.text)
    if counted:
        fixes = [fix for fix in fixes if "only" not in fix] + [counted]
    expected = _the(they(bug.expected)) if bug.expected else ""
    if expected.startswith("it ") and action_text:
        expected = f"{english.verb_phrase_gerund(they(action_text))} {expected[3:]}"
    if action and not expected and action.base in OWN_OUTCOME and not login_only:
        expected = outcome(action)
    if not expected and not fixes:
        able = [negate(they(s)) for s in bug.symptoms if _is_inability(s)]
        fixes = [they_can(fix) for fix in able if fix]
    criteria = []
    main = _it_after_first([part for part in (expected, *fixes[:1]) if part])
    if main:
        criteria.append(criterion(given, when, english.join_and(main)))
    for fix in fixes[1:3]:
        criteria.append(criterion(f"{who}{env} who has followed the steps to reproduce", when,
                                  fix))
    if feedback:
        nominal = action.base if action and action.base in english.NOUN_VERBS else \
            (bug.subject.split()[-1].lower() if bug.subject.split() and
             bug.subject.split()[-1].lower() in english.NOUN_VERBS else "action")
        criteria.append(criterion(f"{who}{env} whose {nominal} fails on the server", when,
                                  f"an error message says why the {nominal} failed"))
    quoted = [q for q in re.findall(r"[\"“]([^\"”]{3,200})[\"”]", reading.text)
              if len(q.split()) > 2]
    if quoted:
        criteria.append(criterion(f"{who}{env} with the browser console open", when,
                                  f"the console shows no \u201c{quoted[0]}\u201d error"))
    counterpart = _counterpart(action_text) if action_text else ""
    if counterpart:
        criteria.append(criterion(f"{who}{env}", f"they {they(english.one_of_phrase(counterpart))}",
                                  "the result is the same as before the fix"))
    elif conditions and _counterpart(conditions[0]):
        criteria.append(criterion(f"{who}{env}{_state(_counterpart(conditions[0]))}", when,
                                  f"{they(opened)} starts as it does today"))
    if bug.works_elsewhere and (action_text or opened):
        criteria.append(criterion(f"{who} on {bug.works_elsewhere}",
                                  when.replace(env, ""), "the result stays as it is today"))
    if len(criteria) < 2:
        criteria += _fallback(reading, bug, who, env)
    since = re.search(r"\b(?:release|version|v)\s?\d+(?:\.\d+)+", bug.since)
    if since or len(criteria) < 2:
        criteria.append(criterion(
            "an automated test that follows the steps to reproduce",
            f"the test suite runs{' on builds since ' + since.group(0) if since else ' in CI'}",
            "the test passes"))
    return finish(criteria, reading)


def _without_environment(phrase: str, reading: Reading) -> str:
    """"export the report to PDF on Windows 11 with Edge" -> "export the report to PDF": the
    platform is in the Given."""
    for env in reading.environment:
        phrase = re.sub(rf"\s+(?:on|in|with|using)\s+{re.escape(env)}\b", "", phrase,
                        flags=re.IGNORECASE)
    return phrase.strip()


def _counterpart(action: str) -> str:
    """The case that works today, from the report: a size limit turned around, or "with no
    network" turned into "with a working network"; empty when the report gives none."""
    size = re.search(r"\b(?P<word>larger|bigger|more|longer|over|above)\s+than\s+"
                     r"(?P<n>[\w.,]+(?:\s?(?:MB|KB|GB|lines|rows|items|characters))?)",
                     action, re.IGNORECASE)
    if size:
        opposite = {"larger": "smaller", "bigger": "smaller", "more": "fewer",
                    "longer": "shorter", "over": "under", "above": "below"}[
            size.group("word").lower()]
        return action.replace(size.group(0), f"{opposite} than {size.group('n')}")
    if re.search(r"\bwith no\b", action):
        return action.replace("with no", "with a working")
    return ""


def _subject_place(bug: BugReading) -> str:
    subject = they(re.sub(r"\s*\([^)]*\)", "", bug.subject))
    if re.search(r"\b(?:page|screen|dashboard|app|form|list|view|picker|badge|email)\b",
                 subject, re.IGNORECASE):
        return subject if subject.lower().startswith(("the ", "my ", "their ")) else \
            f"the {english.lower_first(subject)}"
    return ""


def they_can(fix: str) -> str:
    """"Mobile customers can finish their orders" -> "they can finish their orders": the
    criterion's actor is who could not."""
    return re.sub(r"^(?:(?:mobile|all|the|our)\s+)?(?:users?|customers?|people)\s+can\b",
                  "they can", fix, flags=re.IGNORECASE)


def is_login(reading: Reading) -> bool:
    return bool(re.search(r"\b(?:log\s?in|sign\s?in|signin|login)\b", reading.text, re.IGNORECASE))


def _it_after_first(fixes: list[str]) -> list[str]:
    """"the app shows X and the app does not freeze" -> "… and it does not freeze"."""
    out = []
    for fix in fixes:
        subject = subject_of(fix)
        if out and subject and subject.lower() == subject_of(out[0]).lower():
            fix = "it" + fix[len(subject):]
        out.append(fix)
    return out


def _fallback(reading: Reading, bug: BugReading, who: str, env: str) -> list[dict[str, str]]:
    """Criteria for a report too short to read ("login broken"), for what it names."""
    if re.search(r"\b(?:log\s?in|sign\s?in|signin|login)\b", reading.text, re.IGNORECASE):
        return [
            criterion(f"{who} with an active account{env}", "they sign in with the right email "
                      "and password", "their dashboard opens"),
            criterion(f"{who} on the sign-in page{env}", "they enter a wrong password",
                      "an error message says the email or password is wrong and they stay on "
                      "the sign-in page"),
        ]
    # A report too thin to read: the reported problem gone, checked by repeating it.
    return [criterion(f"{who}{env} following the steps to reproduce",
                      "they repeat the reported action",
                      "no error message appears and the reported problem does not occur")]
