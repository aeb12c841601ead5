"""A bug report read into what a tester needs: where, the conditions, the action, the symptoms.

"Checkout page crashes with "TypeError…" when the cart has a discount code and the user
switches the currency to EUR" becomes a place (the checkout page), conditions turned into
steps ("Add a discount code to the cart", "Switch the currency to EUR"), and a symptom ("the
checkout page crashes with …"). Sentences that say what should happen, where it works, or
since when it happens are told apart from the symptoms; greetings and pleas are dropped.
"""

import re
from dataclasses import dataclass

from . import english

_NOISE = (
    r"^(?:hello|hi|hey|dear\s+\w+)(?:\s+(?:team|all|there|guys|everyone))?\s*[,!.]?\s*",
    r"[,.;]?\s*(?:please|pls|plz)\s+(?:fix|help|check|look)\b[^.]*$",
    r"[,.;]?\s*(?:please|pls|plz)\s*$",
    r"[,.;]?\s*\b(?:I think|I guess|I believe|thanks?(?: you)?|thx)\b[.!]?",
    r"(?:,?\s*so)?[,.;]?\s*\b(?:this is|it is|it's) (?:quite |very |really )?(?:embarrassing|"
    r"annoying|frustrating|urgent|critical)\b[^.]*",
)
_SUBJECT_WORDS = r"(?:I|you|we|they|he|she|someone|people|the user|a user|users?|customers?)"
_TRY = r"(?:try(?:ing)? to\s+|tries to\s+|try\s+|attempts? to\s+)?"
_CONDITION_WORDS = r"(?:when|whenever|if|after|once|while|as soon as)"
_WORKS_ELSEWHERE_RE = re.compile(
    r"\b(?:looks|works|is|are|loads|renders|displays)\s+(?:fine|ok|okay|normal|as it should)\b"
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
_SYMPTOM_RE = re.compile(
    rf"^(?:{_SUBJECTS}(?:\s+(?!(?:the|a|an)\b)[\w'-]+){{0,4}}?\s+(?:crash\w*|fail\w*|freez\w*|"
    r"hang\w*|show\w*|return\w*|stop\w*|get\w*|give\w*|see|sees|is|are|was|were|does|do|did|"
    r"doesn't|don't|didn't|can't|cannot|never|goes|go|throws?|displays?|appears?|loads?|takes?|"
    r"happens?|breaks?|closes?|logs?|redirects?|spins?|keeps?|stays?|remains?|becomes?|turns?|"
    r"jumps?|disappears?|say|says|reload\w*|refresh\w*|skips?|loses?|lost|expires?)\b"
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
_STATE_HAS_RE = re.compile(r"^(?P<x>(?:the|a|an|my|their|our)\s+[\w\s'-]+?)\s+(?:has|have)\s+"
                           r"(?P<no>no\s+)?(?P<y>.+)$", re.IGNORECASE)
_TIMEZONE_RE = re.compile(r"\b(?:users?|people|customers?)\s+in\s+(?:the\s+)?(?P<tz>[\w/+-]+)"
                          r"\s+(?:time\s?zone)\b", re.IGNORECASE)
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


def base_verb(word: str) -> str:
    """"switches" -> "switch", "gives" -> "give", "filtering" -> "filter"; "" if no verb."""
    lower = word.lower()
    candidates = [lower]
    if lower.endswith("ies"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("es"):
        candidates.append(lower[:-2])
    if lower.endswith("s"):
        candidates.append(lower[:-1])
    if lower.endswith("ing"):
        stem = lower[:-3]
        candidates += [stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2]
                       else stem]
    if lower.endswith("ied"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("ed"):
        candidates += [lower[:-2], lower[:-1], lower[:-3]]
    if lower in ("login", "logging"):
        return "log in"
    return next((c for c in candidates if c in english.VERBS), "")


def as_step(clause: str) -> str:
    """A condition as something a tester does: "the user switches the currency to EUR" ->
    "switch the currency to EUR"; "the phone has no network connection" -> "use a phone with
    no network connection". Empty when the clause cannot be made an action."""
    clause = clause.strip(" ,.")
    tz = _TIMEZONE_RE.search(clause)
    if tz:
        return f"set the account's time zone to {tz.group('tz')}"
    clause = re.sub(rf"^{_SUBJECT_WORDS}\s+{_TRY}", "", clause, flags=re.IGNORECASE)
    clause = re.sub(rf"^{_TRY}", "", clause, flags=re.IGNORECASE)
    has = _STATE_HAS_RE.match(clause)
    if has:
        thing = re.sub(r"^(?:the|my|their|our)\s+", "", has.group("x"), flags=re.IGNORECASE)
        if has.group("no"):
            return f"use {english.with_article(thing)} with no {has.group('y')}"
        return f"add {has.group('y')} to the {thing}"
    passive = re.match(r"^(?P<x>.+?)\s+(?:is|are|was|were|have been|has been)\s+(?:both\s+|all\s+)?"
                       r"(?P<done>\w+(?:ed|en))(?P<particle>\s+(?:in|on|out|up|off))?$", clause)
    if passive and base_verb(passive.group("done")):
        particle = (passive.group("particle") or "").strip()
        return " ".join(part for part in (base_verb(passive.group("done")), particle,
                                          passive.group("x")) if part)
    words = clause.split()
    if not words:
        return ""
    verb = base_verb(words[0])
    if not verb:
        return ""
    rest = " ".join(words[1:])
    if verb == "log in" and rest.lower().startswith("in "):
        rest = rest[3:]
    rest = re.sub(r"^(?!(?:the|a|an|my|our|their|this|all)\b)(?P<x>[\w-]+\s+(?:page|screen|tab|"
                  r"view|list|menu|settings))\b", r"the \g<x>", rest)
    return f"{verb} {rest}".strip()


def split_and(text: str) -> list[str]:
    """"the cart has X and the user switches Y" -> both; "filtering by A and sorting by B" ->
    both; "Apple Pay and Google Pay" stays one."""
    parts = re.split(r"\s+and\s+|,\s+(?:and\s+)?", text)
    out = [parts[0]]
    for part in parts[1:]:
        first = part.split()[0].lower() if part.split() else ""
        clause = re.search(r"\b(?:is|are|was|were|has|have|had|does|do|did|can|will)\b|"
                           r"^\S+\s+\w+(?:s|ed)\b", out[-1])
        if (re.match(rf"^{_SUBJECT_WORDS}\b|^(?:the|my|our|a|an)\s", part, re.IGNORECASE)
                and len(part.split()) > 2 and clause) or base_verb(first) and first.endswith("ing"):
            out.append(part)
        else:
            out[-1] = f"{out[-1]} and {part}"
    return [part.strip() for part in out if part.strip()]


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
    match = re.match(r"^(?P<s>(?:[\w'()./-]+\s+){0,7}?[\w'()./-]+)\s+(?:is|are|was|were|shows?|"
                     r"returns?|crash\w*|fails?|does|do|doesn't|don't|takes?|hangs?|freezes?|"
                     r"appears?|displays?|loads?|sends?|sent|never|skips?|arrives?|gives?|saves?|"
                     r"expires?|keeps?|silently|always|reported)\b", symptom, re.IGNORECASE)
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
            where = re.search(r"\b(?:on|in|with|from)\s+(?P<w>[A-Z][\w .]+?)(?:\s+on the same|"
                              r"\s+looks|\s+works|\s+is|,|$)", sentence)
            works = works or (where.group("w").strip() if where else "")
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
    return BugReading(
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
            out["symptoms"] += more
            steps = [as_step(part) for part in split_and(condition)]
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
                                 r"doesn't|don't|saves?|leads?|causes?|results?|gives?)\b.+)$",
                                 symptom)
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
        out["action"] = out["action"] or more["action"]
        out["conditions"] += more["conditions"]
        out["symptoms"] += more["symptoms"]
    if instead:
        first = out["symptoms"][0] if out["symptoms"] else ""
        out["expected"] = _instead(instead.group("what"), out["subject"], first)
    tz = _TIMEZONE_RE.search(sentence)
    if tz:
        out["conditions"].insert(0, as_step(tz.group(0)))
    return out


def _passive(text: str) -> str:
    """"after we changed the PDF library last sprint" -> "after the PDF library was changed
    last sprint": the report's "we" is not the ticket's reader."""
    return re.sub(r"\bwe\s+(?P<v>\w+ed)\s+(?P<o>(?:the|our|a)\s+[\w\s-]+?)(?=\s+(?:last|in|on|"
                  r"at|yesterday|this)\b|$)", lambda m: f"{m['o'].replace('our ', 'the ')} was "
                  f"{m['v']}", text)


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
        part = re.sub(r"^(?P<s>it|he|she|the \w+)\s+(?P<v>show|give|return|throw|take)\b",
                      lambda m: f"{m['s']} {m['v']}s", part.strip())
        head, _, missing = part.partition(" and not ")
        out.append(head)
        if missing:
            out.append(f"it does not {missing}")
    return [part for part in out if part and len(part.split()) > 1]
