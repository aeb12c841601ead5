"""What every acceptance criterion the offline generator writes has in common.

A criterion is one Given/When/Then with a single trigger (a second "when" inside a clause
would read as two) and a Then a tester can see. `finish` keeps at most MAX_CRITERIA, drops a
criterion that shares most of its words with an earlier one, and carries into the criteria
every fact of the description they do not mention yet (a size, a platform, an error text), so
the checks a developer runs are the ones the description asked for.
"""

import re

from tickets.quality.facts import description_facts

from . import english
from .reading import Reading

MAX_CRITERIA = 6
# Two criteria sharing this share of their words say the same thing.
_ALIKE = 0.78
# Words a Then must not rest on: nobody can check them.
VAGUE_RE = re.compile(
    r"\b(?:fast(?:er)?|quick(?:ly|er)?|easy|easily|easier|user[- ]friendly|properly|correctly|"
    r"as expected|intuitive(?:ly)?|seamless(?:ly)?|appropriate(?:ly)?|efficient(?:ly)?|"
    r"smooth(?:ly)?|nicely|good|better|improved|optimal(?:ly)?|reasonabl[ey]|adequate(?:ly)?|"
    r"sufficient(?:ly)?|acceptabl[ey]|normally|gracefully|performant|robust(?:ly)?|works?|"
    r"as (?:described|intended|designed)|handled|etc|fine)\b",
    re.IGNORECASE,
)


def criterion(given: str, when: str, then: str) -> dict[str, str]:
    return {"given": clean(given), "when": clean(when), "then": clean(then)}


def clean(text: str) -> str:
    text = " ".join(text.split()).strip(" ,;:.")
    # A clause must not hold a second "when": it would read as a second trigger.
    text = re.sub(r"\bwhen\b", "once", text, flags=re.IGNORECASE)
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def actor(reading: Reading) -> str:
    """"a team admin", "a user": who the criteria follow."""
    return english.with_article(reading.role_or_user)


def on_environment(reading: Reading) -> str:
    return f" on {reading.environment[0]}" if reading.environment else ""


def _words(item: dict[str, str]) -> set[str]:
    return set(english.words(" ".join(item.values()).lower()))


def _alike(one: dict, other: dict) -> bool:
    a, b = _words(one), _words(other)
    return len(a & b) / max(1, len(a | b)) >= _ALIKE


def finish(criteria: list[dict[str, str]], reading: Reading) -> list[dict[str, str]]:
    """Drop empty and repeated criteria, keep at most MAX_CRITERIA, and carry the facts."""
    kept: list[dict[str, str]] = []
    for item in criteria:
        if all(item[part] for part in ("given", "when", "then")) and not any(
            _alike(item, other) for other in kept
        ) and not VAGUE_RE.search(item["then"]):
            kept.append(item)
    return kept[:MAX_CRITERIA]


def carry_facts(criteria: list[dict[str, str]], description: str) -> list[dict[str, str]]:
    """Name in the first criterion's Given the facts of the description (as the quality check
    counts them: quoted texts, numbers with units, names) that no criterion mentions yet, each
    with the few words around it in the description: the setup a tester must reproduce."""
    wanted = description_facts(description, english=True)
    text = " ".join(" ".join(item.values()) for item in criteria)
    absent = [fact for fact in wanted if not _mentions(text, fact)]
    if not absent or not criteria:
        return criteria
    phrases: list[str] = []
    for fact in absent[:5]:
        if any(_mentions(phrase, fact) for phrase in phrases):
            continue
        phrase = re.sub(r"^(?:our|my)\s+", "", _around(fact.label, description),
                        flags=re.IGNORECASE)
        if phrase.count("(") != phrase.count(")"):
            phrase = phrase.replace("(", "").replace(")", "")
        phrases.append(phrase)
    first = dict(criteria[0])
    first["given"] = f"{first['given']} (reported: {'; '.join(phrases)})"
    return [first, *criteria[1:]]


def _squash(text: str) -> str:
    """Lower case, no spaces or quotes: "2 MB" and "2MB", “Pay now” and "pay now" are one."""
    return re.sub(r"[\s\"“”‘’'`«»„]+", "", text.casefold())


def _mentions(text: str, fact) -> bool:
    """Whether `text` names the fact: a quote or number as written (spaces aside), a name by
    all of its words (singular or plural)."""
    if fact.kind != "name":
        return _squash(fact.label) in _squash(text)
    said = set(re.findall(r"[^\W_]+", text.casefold()))
    return all(word in said or f"{word}s" in said or word.rstrip("s") in said
               for word in re.findall(r"[^\W_]+", fact.label.casefold()))


def _around(label: str, description: str) -> str:
    """The few words of `description` around `label`: "37 duplicate charges last week"."""
    at = description.find(label)
    if at < 0:
        return label
    # The clause the fact is in: cut at punctuation and before "when", "after", "because".
    cuts = [0] + [match.end() for match in re.finditer(
        r"[.;:)]\s|,\s|\n|\s(?=(?:when|whenever|if|once|because)\s)", description)
        if match.end() <= at]
    start = max(cuts)
    end = next((match.start() for match in re.finditer(
        r"[.;:)](?:\s|$)|,\s|\n|\s(?=(?:when|whenever|if|once|because)\s)", description)
        if match.start() >= at + len(label)), len(description))
    words = description[start:end].strip(" ,;:(").split()
    position = len(description[start:at].split())
    lo = max(0, position - 3)
    return " ".join(words[lo:lo + 7]).strip(" ,.;:")
