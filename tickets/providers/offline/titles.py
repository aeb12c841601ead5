"""A ticket's title: names the change or the broken behaviour, in 5 to 90 characters.

"Export the monthly invoice list as CSV", "Add dark mode to the app", "Uploading profile
pictures larger than 2MB hangs on iOS Safari": candidates are built from the reading and tried
in order; a candidate is cut only at a phrase boundary (never with "…"), and one that reads as
the description itself, or as its first words cut short, gives way to the next (a headline
without articles, "Orders API: add pagination"). The helpers here (phrase boundaries, short
symptoms) are shared with the summary.
"""

import re
from difflib import SequenceMatcher

from tickets.kinds import TicketKind

from . import english
from .bug_criteria import bug_action
from .bug_reading import BugReading, subject_of
from .english import word_set
from .outcomes import parse_action, they
from .phrases import participle_goal
from .reading import Reading

TITLE_LIMIT = 90


# A text this much like the description (1 = word for word) reads as a copy of it.
COPY_LIKENESS = 0.9


BOUNDARY_WORDS = ("when", "while", "because", "so", "and", "but", "with", "for", "from", "on",
                   "in", "after", "before", "by", "via", "to", "as", "of", "at", "if", "which")


_CLAUSE_WORDS = ("when", "while", "because", "so", "and", "but", "after", "before", "if",
                 "which", "since", "until")


PLACE_NOUNS = r"(?:app|application|site|website|product|page|screen|dashboard|portal|settings)"


GENERIC_SUBJECTS = re.compile(r"^(?:the\s+)?(?:system|app|application|page|site|it|users?|"
                               r"customers?|I|we|they|people|everything)$", re.IGNORECASE)


def fit(text: str, limit: int = TITLE_LIMIT) -> str:
    """`text` shortened to `limit` at the last clause (else phrase) boundary; no ellipsis."""
    text = " ".join(text.split()).rstrip(" ,;:.")
    if len(text) <= limit:
        return text
    words = text.split()
    for boundaries in ((), _CLAUSE_WORDS, BOUNDARY_WORDS):
        best = ""
        for index in range(1, len(words)):
            head = " ".join(words[:index])
            if len(head) > limit:
                break
            # A comma first, then a clause word, then any phrase boundary.
            if words[index].lower().strip(",;:") in boundaries or words[index - 1].endswith(
                (",", ";", ":")
            ):
                best = head
        if len(best) >= 20:
            return trim_dangling(best)
    head = ""
    for word in words:
        if len(f"{head} {word}".strip()) > limit:
            break
        head = f"{head} {word}".strip()
    return trim_dangling(head) or text[:limit].rstrip()


def trim_dangling(text: str) -> str:
    """Never end on a word that needs another ("the", "of", "and")."""
    words = text.rstrip(" ,;:").split()
    while words and words[-1].lower() in (*BOUNDARY_WORDS, "the", "a", "an", "my", "our",
                                          "their", "its", "even", "just", "only", "also"):
        words = words[:-1]
    return " ".join(words)


def plain_words(text: str) -> list[str]:
    return re.sub(r"[^\w.,:]+|(?<!\d)[.,:]+|[.,:]+(?!\d)|_+", " ", text.casefold()).split()


def likeness(one: str, other: str) -> float:
    """0..1: how much two texts read alike word for word."""
    return SequenceMatcher(None, plain_words(one), plain_words(other), autojunk=False).ratio()


def _is_copy(text: str, description: str) -> bool:
    """Whether a title reads as the description itself, or as its first words cut short."""
    title_words, described = plain_words(text), plain_words(description)
    if likeness(text, description) >= COPY_LIKENESS:
        return True
    return len(title_words) >= 8 and described[: len(title_words)] == title_words


def _title_case(text: str) -> str:
    return english.capitalize(they(re.sub(r"\bmy\b", "the", text)))


def _thing_title(thing: str) -> str:
    """"a Slack integration that posts a message to a chosen channel" -> "Add a Slack
    integration that posts a message"; qualifiers after a comma are left to the criteria."""
    core = re.split(r",\s+", thing)[0]
    relative = re.match(r"^(?P<x>.+?\s+(?:that|which)\s+\w+\s+(?:an?\s+|the\s+)?[\w-]+)", core)
    text = relative.group("x") if relative else core
    text = re.sub(r"\s*\([^)]*\)", "", text)
    title_text = f"Add {english.lower_first(text)}"
    naming = [w for w in plain_words(text) if w not in ("a", "an", "the", "to", "for", "of")]
    return title_text if len(naming) > 1 else f"{title_text} to the app"


def _goal_title(reading: Reading) -> str:
    goal = reading.goal
    if reading.thing and not reading.recipient:
        return _thing_title(reading.thing)
    action = parse_action(goal)
    if action:
        return _title_case(action.full if len(action.full) <= TITLE_LIMIT else action.phrase)
    participle = participle_goal(goal)
    if participle:
        return _title_case(participle)
    thing = re.sub(rf"\s+(?:for|in|on)\s+(?P<p>(?:the|our|my)\s+(?:[\w-]+\s+)?{PLACE_NOUNS})$",
                   r" to \g<p>", goal)
    return _thing_title(thing)


def first_words(text: str, count: int) -> str:
    words = text.split()
    if len(words) <= count:
        return text
    head = trim_dangling(" ".join(words[:count])).split()
    while head and head[-1].lower() in ("is", "are", "was", "were", "has", "have", "be", "where",
                                        "that", "who", "what", "than", "no", "not"):
        head = trim_dangling(" ".join(head[:-1])).split()
    return " ".join(head)


def _failure_phrase(symptoms: tuple[str, ...], text: str) -> str:
    joined = " ".join(symptoms).lower()
    error = re.search(r"\b(?:error|status|http)\s?\d{3}\b|\b\d{3} error\b", text, re.IGNORECASE)
    if error:
        return f"fails with {error.group(0).lower()}"
    took = re.search(r"\btakes?\s+(?:like\s+|about\s+|around\s+)?(?P<t>\d+\s+(?:seconds|minutes))",
                     joined)
    if took or re.search(r"\bslow\b", joined):
        return f"takes {took.group('t')}" if took else "is slow"
    if re.search(r"never stops|keeps (?:spinning|loading)|\bhangs?\b|\bstuck\b|freez", joined):
        return "hangs"
    if "crash" in joined:
        return "crashes"
    if re.search(r"does nothing|nothing happens", joined):
        return "does nothing"
    return "fails"


def short_symptom(symptom: str) -> str:
    symptom = re.split(r"\s+with\s+[\"“']|\s*[\"“]", symptom)[0]
    symptom = re.sub(r"\b(?:silently|always|sometimes|randomly)\s+", "", symptom)
    symptom = re.sub(r"^(?:all(?: of)? )?(?:the|a|an)\s+", "", symptom, flags=re.IGNORECASE)
    symptom = re.sub(r"\b(?P<v>give|show|return)\b(?= error)", r"\g<v>s", symptom)
    return english.capitalize(symptom.replace("doesn't", "does not").replace("don't", "do not"))


def strip_env(phrase: str, reading: Reading) -> str:
    for env in reading.environment:
        phrase = re.sub(rf"\s+(?:on|in|with|using)\s+{re.escape(env)}\b", "", phrase,
                        flags=re.IGNORECASE)
    return phrase


def _state_headlines(symptom: str) -> list[str]:
    """"Invoice PDFs are missing the company logo" -> "Company logo missing from invoice
    PDFs"; "Totals in the weekly report are off by one cent" -> "Weekly report totals off by
    one cent": a bug title in headline style, without articles or "is"."""
    out = []
    shown = re.match(r"^(?:the\s+)?(?P<s>.+?)\s+(?:gets?|shows?|displays?|uses?)\s+(?P<o>.+)$",
                     symptom, re.IGNORECASE)
    if shown and len(shown.group("s").split()) > 1:
        out.append(f"{english.capitalize(shown.group('o'))} shown on "
                   f"{english.lower_first(shown.group('s'))}")
    missing = re.match(r"^(?:the\s+)?(?P<s>.+?)\s+(?:is|are)\s+missing\s+(?:the\s+|a\s+|an\s+)?"
                       r"(?P<o>.+)$", symptom, re.IGNORECASE)
    if missing:
        out.append(f"{english.capitalize(missing.group('o'))} missing from "
                   f"{english.lower_first(missing.group('s'))}")
    text = re.sub(r"\b(?:the|a|an)\s+", "", symptom, flags=re.IGNORECASE)
    text = re.sub(r"\s+(?:is|are)\s+", " ", text, count=1)
    compressed = re.sub(r"^(?P<x>[\w-]+(?:\s[\w-]+)?)\s+(?:in|of|on)\s+"
                        r"(?P<y>[\w-]+(?:\s[\w-]+){0,2}?)"
                        r"(?=\s(?:\w+ed|off|missing|wrong|empty|blank|broken|slow|greyed|not)\b)",
                        lambda m: f"{m['y']} {m['x'].lower()}", text)
    for headline_text in dict.fromkeys((compressed, text)):
        if headline_text != symptom:
            out.append(english.capitalize(headline_text))
    # Last: the main clause alone ("Session expires after 5 minutes").
    clause = re.split(r"\s+(?:even|with|when|while|because|although|despite|unless)\s+", text)[0]
    if clause != text and len(clause.split()) >= 3:
        out.append(english.capitalize(clause))
    return out


def symptom_context(symptom: str) -> tuple[str, str] | None:
    """("names with accents like José", "search returns no results") from "search returns no
    results for names with accents like José": where it happens, and what happens."""
    subject = subject_of(symptom)
    if not subject:
        return None
    rest = symptom[len(subject):].split()
    for index, word in enumerate(rest[2:], start=2):
        if word.lower() in ("for", "to", "after", "before", "at", "when", "during", "on", "in") \
                and (len(rest) - index > 2 or index == len(rest) - 2 and rest[-1][:1].isupper()):
            context = " ".join(rest[index + (1 if word.lower() in ("for", "to") else 0):])
            return context, " ".join([subject, *rest[:index]])
    return None


def _bug_titles(reading: Reading, bug: BugReading) -> list[str]:
    action = bug_action(bug)
    env = f" on {reading.environment[0]}" if reading.environment else ""
    symptom = bug.symptoms[0] if bug.symptoms else reading.goal
    subject = subject_of(symptom)
    candidates = []
    said = [re.search(r"\b(?:get|gets|see|sees|shows?|says?|displays?)\s+[\"“']"
                      r"([^\"”']{3,30})[\"”']", s) for s in bug.symptoms]
    quote = next((match for match in said if match), None)
    if action and quote and len(quote.group(1).split()) <= 4:
        doing = english.verb_phrase_gerund(they(strip_env(action, reading)))
        candidates.append(f"{english.capitalize(doing)} shows \u201c{quote.group(1)}\u201d{env}")
    if action:
        doing = english.verb_phrase_gerund(they(strip_env(action, reading)))
        joined = f"on {doing[len('using '):]}" if doing.startswith("using ") else \
            f"after {doing}"
        if subject and not GENERIC_SUBJECTS.match(subject):
            joined_title = f"{short_symptom(symptom)} {joined}"
            candidates.append(joined_title if len(joined_title) <= TITLE_LIMIT or bug.action
                              and len(short_symptom(symptom)) > TITLE_LIMIT
                              else short_symptom(symptom))
        said = next((s[3:] for s in bug.symptoms if re.match(r"^it\s+\w+s\b", s)), "")
        if said and not doing.startswith("using "):
            # "Clicking 'Download invoice' opens a blank tab in Firefox 128".
            short = re.sub(r"\s+(?:on|in|from)\s+(?:the|a)\s+[\w\s-]+?(?:page|screen|tab|view)\b",
                           "", doing)
            candidates.append(f"{english.capitalize(short)} {said}")
        if not doing.startswith("using "):
            failure = _failure_phrase(bug.symptoms, reading.text)
            if bug.full_action and bug.full_action != bug.action:
                whole = english.verb_phrase_gerund(they(strip_env(bug.full_action, reading)))
                candidates.append(f"{english.capitalize(whole)} {failure}{env}")
            candidates.append(f"{english.capitalize(doing)} {failure}{env}")
    bare = re.sub(r"\s*\([^)]*\)", "", short_symptom(symptom))
    if bare != short_symptom(symptom):
        candidates.append(bare)
    context = symptom_context(symptom)
    if context:
        candidates.append(f"{english.capitalize(context[0])}: "
                          f"{english.lower_first(short_symptom(context[1]))}")
    candidates += _state_headlines(symptom)
    mentioned = env and env.split()[-1].lower() in short_symptom(symptom).lower()
    candidates.append(f"{short_symptom(symptom)}{'' if mentioned else env}")
    if re.search(r"\b(?:log\s?in|sign\s?in|signin|login)\b", reading.text, re.IGNORECASE):
        candidates.append(f"Users cannot sign in to their account{env}")
    return candidates


def _candidates(reading: Reading, kind: TicketKind, bug: BugReading | None) -> list[str]:
    if bug is not None:
        return _bug_titles(reading, bug)
    if kind.offline.criteria == "done" and reading.steps:
        first = reading.steps[0]
        return [_title_case(first), headline(first), *_target_first(first),
                _title_case(re.sub(r"\s+from\s+.+?(?=\s+to\s+)", "", first)),
                _title_case(first_words(first, 7))]
    titles = [_goal_title(reading)]
    action = parse_action(reading.goal)
    if reading.label and action:
        titles.insert(0, f"{english.capitalize(reading.label)} for {they(action.obj) or 'it'}")
    if action:
        titles += [headline(action.full), *_target_first(action.full),
                   _title_case(first_words(action.full, 7)),
                   _title_case(f"{action.verb} {action.obj}")]
    elif reading.thing:
        titles.append(headline(_thing_title(reading.thing)))
    if not action or reading.thing:
        core = re.sub(r"\s+with\s+[A-Z][^,]*?(?=\s+for\s|$)", "", reading.thing or reading.goal)
        if core != (reading.thing or reading.goal):
            titles.append(_thing_title(core))
    if reading.trigger:
        # "Get an SMS" says little; "Get an SMS when the parcel is out for delivery" says it.
        event = re.sub(r"\bmy\b", "the", re.split(r",\s+", reading.trigger)[0])
        event = event if event.startswith(("after ", "if ", "as soon as ")) or event.endswith(
            " for the first time") else f"when {event}"
        titles = [f"{titles[0]} {event}", *titles] if len(_naming(titles[0])) < 3 else \
            [*titles, f"{titles[0]} {event}"]
    return titles


def _naming(title_text: str) -> list[str]:
    """The words of a title that name something (not "add", "the", "get")."""
    return [word for word in plain_words(title_text) if word not in _NOT_NAMING]


_NOT_NAMING = word_set("""
a an the to for of in on at by with and or add get new fix make let it this that my their be
""")


def _target_first(phrase: str) -> list[str]:
    """"add pagination to the orders API" -> "Orders API: add pagination": the thing changed
    first, as trackers often title work."""
    match = re.match(r"^(?P<verb>\w+(?: up| out| in)?)\s+(?P<what>.+?)\s+(?:to|in|on|for|of)\s+"
                     r"(?:the|our|a)\s+(?P<target>[\w.-]+(?:\s[\w.-]+){0,3})$", phrase)
    if not match:
        return []
    return [f"{english.capitalize(match.group('target'))}: {match.group('verb').lower()} "
            f"{they(match.group('what'))}"]


def headline(text: str) -> str:
    """"Upgrade the payments service from …" -> "Upgrade payments service from …": a title
    in headline style, without articles."""
    return _title_case(re.sub(r"\s+(?:the|a|an)\s+", " ", f" {text} ").strip())


def title(reading: Reading, kind: TicketKind, bug: BugReading | None = None) -> str:
    rules = kind.offline
    fitted = []
    for candidate in _candidates(reading, kind, bug):
        text = fit(candidate)
        if rules.title_prefix and not text.lower().startswith(rules.title_prefix_unless):
            text = fit(f"{rules.title_prefix}{english.lower_first(text)}")
        if len(text) >= 5:
            fitted.append(text)
    for text in fitted:
        if not _is_copy(text, reading.original or reading.text):
            return text
    best = fitted[0] if fitted else f"{kind.label} from the description"
    prefix = "Fix: " if bug is not None else f"{kind.label}: "
    text = fit(f"{prefix}{english.lower_first(best)}")
    if _is_copy(text, reading.original or reading.text) and bug is not None:
        # A report that already reads as a title: say what kind of report it is, and where.
        where = reading.environment[0] if reading.environment else "Reported"
        text = fit(f"{where} bug: {english.lower_first(best)}")
    return text

