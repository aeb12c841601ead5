"""A bug report read into what a tester needs: where, the conditions, the action, the symptoms.

"Checkout page crashes with "TypeError…" when the cart has a discount code and the user
switches the currency to EUR" becomes a place (the checkout page), conditions turned into
steps ("Add a discount code to the cart", "Switch the currency to EUR"), and a symptom ("the
checkout page crashes with …"). Sentences that say what should happen, where it works, or
since when it happens are told apart from the symptoms; greetings and pleas are dropped.
"""

import re
from dataclasses import dataclass

from . import english, facts
from .conditions import TIMEZONE_RE, as_step, base_verb, split_and

_NOISE = (
    r"^(?:hello|hi|hey|dear\s+\w+)(?:\s+(?:team|all|there|guys|everyone))?\s*[,!.]?\s*",
    r"[,.;]?\s*(?:please|pls|plz)\s+(?:fix|help|check|look)\b[^.]*$",
    r"[,.;]?\s*(?:please|pls|plz)\s*$",
    r"[,.;]?\s*\b(?:I think|I guess|I believe|thanks?(?: you)?|thx)\b[.!]?",
    r"(?:,?\s*so)?[,.;]?\s*\b(?:this is|it is|it's) (?:quite |very |really )?(?:embarrassing|"
    r"annoying|frustrating|urgent|critical)\b[^.]*",
)
_CONDITION_WORDS = r"(?:when|whenever|if|after|once|while|as soon as|every time|each time)"
_WORKS_ELSEWHERE_RE = re.compile(
    r"\b(?:looks|works|is|are|loads|renders|displays|downloads|opens|shows|runs|prints)\s+"
    r"(?:fine|ok|okay|normal|as it should|correctly|properly)\b"
    r"|\bworks\s+(?:on|in|with)\b|\bno problem (?:on|in|with)\b",
    re.IGNORECASE,
)
_SINCE_RE = re.compile(
    r"^(?:it\s+|this\s+|the (?:bug|problem|issue)\s+)?(?:happens|occurs|started|began|"
    r"is reproducible|reproduces|is seen|appears|shows up)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_EXPECT_RE = re.compile(
    r"\b(?:should|is supposed to|are supposed to|expected (?:it )?to|I expect(?:ed)?(?: it)? "
    r"to|we expect(?:ed)?(?: it)? to)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_INSTEAD_RE = re.compile(r",?\s+instead of\s+(?P<what>.+)$", re.IGNORECASE)
_LEAD_CONDITION_RE = re.compile(
    rf"^{_CONDITION_WORDS}\s+(?P<rest>.+)$", re.IGNORECASE
)
# "after 10 minutes" is a time, not a condition a tester sets up.
_TRAILING_CONDITION_RE = re.compile(
    rf"\s+{_CONDITION_WORDS}\s+(?!(?:about\s+|around\s+)?\d|midnight|noon|a while|some time)"
    r"(?P<cond>.+)$",
    re.IGNORECASE,
)
# "On the checkout page in Safari on iPhone, tapping …": where, said before what.
_LEADING_WHERE_RE = re.compile(r"^(?:on|in|at|from)\s+(?P<where>[^,]{3,80}),\s+(?P<rest>.+)$",
                               re.IGNORECASE)
_SUBJECTS = r"(?:all(?: of)? the|the|my|our|this|that|it|an?|all|nothing|no|I|we|they|there|every)"
_SYMPTOM_START_RE = re.compile(rf"(?:,\s*|\s+)(?={_SUBJECTS}\s)", re.IGNORECASE)
# The verbs a report says something goes wrong with ("crashes", "logs users out", "charges").
SYMPTOM_VERBS = (
    r"crash\w*|fail\w*|freez\w*|hang\w*|shows?|showing|returns?|stops?|gets?|gives?|see|sees|"
    r"is|are|was|were|does|do|did|doesn't|don't|didn't|can't|cannot|never|goes|go|throws?|"
    r"displays?|appears?|loads?|takes?|happens?|breaks?|closes?|logs?|redirects?|spins?|keeps?|"
    r"stays?|remains?|becomes?|turns?|jumps?|disappears?|say|says|reloads?|refresh\w*|skips?|"
    r"loses?|lost|expires?|opens?|charges|sends?|sent|resets|deletes?|duplicates|drops?|"
    r"kicks?|signs?|arrives?|saves?|ignores?|misses|counts|calculates?|rounds|sorts|"
    r"silently|always|reported|overwrites?|blocks?|rejects?|accepts?|lands?|ends?|bounces?|"
    r"comes?|vanish\w*|flicker\w*|overlaps?|truncat\w*|cuts?"
)
_SYMPTOM_RE = re.compile(
    rf"^(?:{_SUBJECTS}(?:\s+(?!(?:the|a|an)\b)[\w'-]+){{0,4}}?\s+(?:{SYMPTOM_VERBS})\b"
    r"|^nothing\b|^it\s+\w+)",
    re.IGNORECASE,
)
_NEGATED_ACTION_RE = re.compile(
    r"^(?P<who>.*?)\s*\b(?:can't|cannot|can not|couldn't|could not|(?:is|are)\s+unable to|"
    r"unable to|(?:is|are)\s+not able to|aren't able to|no longer can|can no longer)\s+"
    r"(?P<action>.+)$",
    re.IGNORECASE,
)
_GERUND_START_RE = re.compile(r"^(?P<gerund>[a-z]+ing)\b(?P<rest>.*)$", re.IGNORECASE)
_PLACE_RE = re.compile(
    r"(?:\b(?:on|in|from|at|to|into|open)\s+)(?P<place>(?:(?:the|my|our|a)\s+)?"
    r"(?:[\w-]+\s+){0,3}(?:page|screen|tab|dialog|modal|form|dashboard|settings|site|website|"
    r"portal|view|section|menu|checkout|cart|inbox|profile|editor|panel|component|list|report))"
    r"\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BugReading:
    subject: str = ""  # what misbehaves: "the checkout page", "users"
    action: str = ""  # what the tester does that fails, a verb phrase
    full_action: str = ""  # the action as the report says it ("delete a project that has …")
    conditions: tuple[str, ...] = ()  # steps that set the scene, as verb phrases
    symptoms: tuple[str, ...] = ()  # what goes wrong, as clauses
    expected: str = ""  # what should happen, as a clause ("the offline banner is shown")
    works_elsewhere: str = ""  # "Chrome on the same machine"
    since: str = ""  # "on staging and production since release 4.2.0"
    impact: tuple[str, ...] = ()  # who suffers and how ("customers use these PDFs for …")
    place: str = ""  # "the checkout page"


def without_noise(text: str) -> str:
    """The report without greetings, pleas and hedges ("hello, …, please fix urgent")."""
    for pattern in _NOISE:
        text = re.sub(pattern, "", text, flags=re.IGNORECASE | re.MULTILINE)
    return text.strip(" ,")


def _expected_from(rest: str, subject: str) -> str:
    rest = rest.strip(" .")
    subject = subject or "the app"
    if rest.lower().startswith(("be ", "not ")):
        return f"{subject or 'it'} {'is' if rest.lower().startswith('be ') else 'does'} " \
               f"{rest.split(' ', 1)[1]}"
    return f"{subject or 'it'} {english.third_person(rest.split()[0])} " \
           f"{' '.join(rest.split()[1:])}".strip() if rest.split() else ""


def _instead(what: str, subject: str, symptom: str) -> str:
    """"instead of showing the offline banner" -> "it shows the offline banner"; "are in UTC
    instead of the user's timezone" -> "… are in the user's timezone"."""
    words = what.split()
    verb = base_verb(words[0]) if words and words[0].lower().endswith("ing") else ""
    if verb:
        return f"{subject or 'it'} {english.third_person(verb)} {' '.join(words[1:])}".strip()
    last = list(re.finditer(r"\b(?:in|as|to|on|at|with|for)\s+", symptom))
    if last:
        return symptom[: last[-1].end()] + what
    return f"{subject or 'it'} shows {what}"


def subject_of(symptom: str) -> str:
    match = re.match(rf"^(?P<s>(?:[\w'()./-]+\s+){{0,7}}?[\w'()./-]+)\s+(?:{SYMPTOM_VERBS})\b",
                     symptom, re.IGNORECASE)
    return match.group("s") if match else ""


def read_bug(text: str, sentences: list[str]) -> BugReading:
    """The parts of a bug report (already split into sentences)."""
    subject = action = expected = works = since = ""
    impact: list[str] = []
    conditions: list[str] = []
    symptoms: list[str] = []
    main_found = False
    for sentence in sentences:
        sentence = without_noise(sentence)
        if not sentence:
            continue
        if _WORKS_ELSEWHERE_RE.search(sentence) and main_found:
            named = facts.environment(sentence)
            where = re.search(r"\b(?:on|in|with|from)\s+(?P<w>[A-Z][\w .]+?)(?:\s+on the same|"
                              r"\s+looks|\s+works|\s+is|\s+it\b|,|$)", sentence)
            works = works or (named[0] if named else where.group("w").strip() if where else "")
            continue
        older = re.match(r"^(?:it|this)\s+(?:did not|didn't|does not|doesn't)\s+happen\s+"
                         r"(?:in|on|with|before)\s+(?P<w>.+)$", sentence, re.IGNORECASE)
        if older and main_found:
            works = works or older.group("w")
            continue
        since_match = _SINCE_RE.match(sentence)
        if since_match and main_found:
            since = since or since_match.group("rest").strip()
            continue
        expect = _EXPECT_RE.search(sentence)
        if expect and main_found and not re.search(r"\bshould(?:n't| not)\b", sentence):
            expected = expected or _expected_from(expect.group("rest"), "")
            continue
        if main_found:
            if re.search(r"\b(?:error|fail|crash|lost|skip|only|wrong|never|not|no|doesn't|"
                         r"don't|can't|cannot|but)\b", sentence, re.IGNORECASE):
                for part in re.split(r",?\s+but\s+", sentence):
                    symptoms += split_and(part) if len(part.split()) < 25 else [part]
            else:
                impact.append(sentence)
            continue
        main_found = True
        found = _main_sentence(sentence)
        subject, action = found["subject"], found["action"]
        conditions += found["conditions"]
        symptoms += found["symptoms"]
        expected = found["expected"] or expected
    place = _PLACE_RE.search(text)
    if action.startswith("use ") and not conditions:
        # "when the phone has no network": a setting to reproduce in, not the failing action.
        conditions, action = [action], ""
    if action and re.search(r"\bit\b", action):
        # "click it" after "the link expires": the last thing the report named.
        things = [subject_of(s) for s in symptoms if subject_of(s)]
        things = [t for t in things if re.match(r"^(?:the|a|an)\s", t, re.IGNORECASE)]
        if things:
            action = re.sub(r"\bit\b", english.lower_first(things[-1]), action, count=1)
    relative = re.match(r"^(?P<verb>\w+(?:\s(?:up|in|out))?)\s+(?P<np>(?:a|an|the)\s+[\w-]+"
                        r"(?:\s[\w-]+)?)\s+(?P<rel>(?:that|which|who)\s.+)$", action)
    if relative and not conditions:
        # "delete a project that has archived tasks": open such a project, then delete it.
        conditions = [f"open {relative.group('np')} {relative.group('rel')}"]
        the_np = re.sub(r"^(?:a|an)\b", "the", relative.group("np"))
        full_action, action = action, f"{relative.group('verb')} {the_np}"
    else:
        full_action = action
    return BugReading(
        full_action=full_action,
        subject=subject,
        action=action,
        conditions=tuple(dict.fromkeys(c for c in conditions if c)),
        symptoms=tuple(dict.fromkeys(s for s in symptoms if s)),
        expected=expected,
        works_elsewhere=works,
        since=_passive(since),
        impact=tuple(impact),
        place=place.group("place") if place else "",
    )


def _main_sentence(sentence: str) -> dict:
    """Subject, action, conditions, symptoms and expectation of the sentence that reports."""
    out = {"subject": "", "action": "", "conditions": [], "symptoms": [], "expected": ""}
    where = _LEADING_WHERE_RE.match(sentence)
    if where:
        sentence = where.group("rest")
    instead = _INSTEAD_RE.search(sentence)
    if instead:
        sentence = sentence[: instead.start()]
    head, _, elaboration = sentence.partition(": ") if not re.search(r"[\"“'][^\"”']*:",
                                                                    sentence) else (sentence,
                                                                                    "", "")
    lead = _LEAD_CONDITION_RE.match(head)
    if lead:
        rest = lead.group("rest")
        split = _split_condition_symptom(rest)
        if split:
            conditions, symptom = split
            steps = [as_step(part) for part in split_and(conditions)]
            out["action"] = steps[-1] if steps else ""
            out["conditions"] = steps[:-1]
            out["symptoms"] = _symptom_clauses(symptom) + out["symptoms"]
        else:
            out["symptoms"] = _symptom_clauses(rest)
    else:
        trailing = _TRAILING_CONDITION_RE.search(head)
        symptom = head[: trailing.start()] if trailing else head
        if trailing:
            condition, more = _condition_and_more(trailing.group("cond"))
            condition = re.sub(r",?\s+(?:on|in)\s+(?:iOS|Android|Windows|macOS|Chrome|Safari|"
                               r"Firefox|Edge|staging|production)\b.*$", "", condition,
                               flags=re.IGNORECASE)
            out["symptoms"] += more
            steps = [as_step(part) for part in split_and(condition)]
            if len(steps) > 1 and steps[-1] and len(steps[-1].split()) <= 2 and \
                    re.match(r"^(?:come|go|get|log|sign|switch|turn)\b", steps[-1]):
                # "switch to another app and come back": one action in two verbs.
                steps = [*steps[:-2], f"{steps[-2]} and {steps[-1]}"]
            steps = [step for step in steps if step]
            if steps:
                out["action"] = steps[-1]
                out["conditions"] = steps[:-1]
        negated = _NEGATED_ACTION_RE.match(symptom.split(",")[0])
        if negated and english.starts_with_verb(negated.group("action")) and not out["action"]:
            who = re.sub(r"\s+(?:on|in|using|with|from)\s+.+$", "", negated.group("who")).strip()
            out["subject"] = who or "users"
            first, _, after = symptom.partition(",")
            out["action"] = negated.group("action") if not after else \
                _NEGATED_ACTION_RE.match(first).group("action")
            out["symptoms"] = _symptom_clauses(after) if after else []
            out["symptoms"].insert(0, f"{who or 'users'} cannot {out['action']}")
        else:
            gerund = _GERUND_START_RE.match(symptom)
            base = base_verb(gerund.group("gerund")) if gerund else ""
            if base and not out["action"]:
                split = re.match(r"^(?P<act>.+?)\s+(?P<sym>(?:does|do|is|are|fails?|crash\w*|"
                                 r"returns?|shows?|hangs?|freezes?|throws?|takes?|never|"
                                 r"doesn't|don't|saves?|leads?|causes?|results?|gives?|opens?|"
                                 r"loads?|redirects?|downloads?|sends?|logs?|jumps?|goes|"
                                 r"closes?|reloads?|resets?|deletes?|charges?)\b.+)$", symptom)
                if split:
                    out["action"] = base + split.group("act")[len(gerund.group("gerund")):]
                    out["symptoms"] = [f"it {split.group('sym')}"]
                else:
                    out["symptoms"] = _symptom_clauses(symptom) + out["symptoms"]
            else:
                out["symptoms"] = _symptom_clauses(symptom) + out["symptoms"]
    out["subject"] = out["subject"] or subject_of(out["symptoms"][0] if out["symptoms"] else "")
    if elaboration:
        more = _main_sentence(elaboration)
        if not subject_of(head) and not _NEGATED_ACTION_RE.match(head):
            # "Duplicate charges: when …": a name for the bug, then the report itself.
            out["symptoms"] = [s for s in out["symptoms"] if s != head]
        out["action"] = out["action"] or more["action"]
        out["conditions"] += more["conditions"]
        out["symptoms"] += more["symptoms"]
    if instead:
        first = out["symptoms"][0] if out["symptoms"] else ""
        out["expected"] = _instead(instead.group("what"), out["subject"], first)
    tz = TIMEZONE_RE.search(sentence)
    if tz:
        out["conditions"].insert(0, as_step(tz.group(0)))
    return out


def _passive(text: str) -> str:
    """"after we changed the PDF library last sprint" -> "after the PDF library was changed
    last sprint": the report's "we" is not the ticket's reader."""
    return re.sub(r"\bwe\s+(?P<v>\w+ed)\s+(?P<o>(?:the|our|a)\s+[\w\s-]+?)(?=\s+(?:last|in|on|"
                  r"at|yesterday|this)\b|$)", lambda m: f"{m['o'].replace('our ', 'the ')} was "
                  f"{m['v']}", text)


def _reporters_we(symptom: str) -> str:
    """"we charge them twice" -> "the customer is charged twice": the report's "we" is the
    product."""
    match = re.match(r"^we\s+(?P<v>\w+)\s+(?:them|the customers?|customers|users|the user)\b"
                     r"(?P<rest>.*)$", symptom, re.IGNORECASE)
    if not match:
        return symptom
    verb = base_verb(match.group("v")) or match.group("v")
    return f"the customer is {english.participle(verb)}{match.group('rest')}"


def _condition_and_more(text: str) -> tuple[str, list[str]]:
    """("open orders page", ["it takes like 20 seconds"]) from "open orders page, takes like
    20 seconds": a clause after the condition that says what happens is a symptom."""
    head, comma, tail = text.partition(", ")
    first = tail.split()[0] if tail.split() else ""
    if comma and first.endswith("s") and base_verb(first):
        return head, [f"it {tail}"]
    return text, []


def _split_condition_symptom(rest: str) -> tuple[str, str] | None:
    """("I click Export", "the app crashes") from "I click Export the app crashes"."""
    for start in _SYMPTOM_START_RE.finditer(rest):
        symptom = rest[start.end():]
        if start.start() > 0 and _SYMPTOM_RE.match(symptom):
            return rest[: start.start()].strip(" ,"), symptom
    return None


def _symptom_clauses(text: str) -> list[str]:
    text = re.sub(r",?\s+(?:e\.g\.|for example|such as)\s+.*$", "", text)
    parts = re.split(r"\s*[,;]\s*(?:and\s+|but\s+|so\s+)?|\s+(?:and|but|so)\s+(?=(?:the|no|it|"
                     r"nothing|there|an?|my|our|all|users?|I|we|they|this|that|only)\s+\w+)",
                     text, flags=re.IGNORECASE)
    out = []
    for part in parts:
        part = _reporters_we(part.strip())
        part = re.sub(r"^(?P<s>it|he|she|the \w+)\s+(?P<v>show|give|return|throw|take)\b",
                      lambda m: f"{m['s']} {m['v']}s", part.strip())
        head, _, missing = part.partition(" and not ")
        out.append(head)
        if missing:
            out.append(f"it does not {missing}")
    return [part for part in out if part and len(part.split()) > 1]
