"""What every acceptance criterion the offline generator writes has in common.

A criterion is one Given/When/Then with a single trigger (a second "when" inside a clause
would read as two) and a Then a tester can see. `finish` keeps at most MAX_CRITERIA, drops a
criterion that shares most of its words with an earlier one, and carries into the criteria
every fact of the description they do not mention yet (a size, a platform, an error text), so
the checks a developer runs are the ones the description asked for.
"""

import re

from . import english, facts
from .reading import Reading

MAX_CRITERIA = 6
# Two criteria sharing this share of their words say the same thing.
_ALIKE = 0.7
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
    kept = kept[:MAX_CRITERIA]
    return carry_facts(kept, reading)


def carry_facts(kept: list[dict[str, str]], reading: Reading) -> list[dict[str, str]]:
    """Name the facts no criterion mentions yet in the first criterion's Given: the setup a
    tester must reproduce."""
    text = " ".join(" ".join(item.values()) for item in kept)
    absent = facts.missing(list(reading.facts), text)
    if not absent or not kept:
        return kept
    first = dict(kept[0])
    first["given"] = f"{first['given']} ({english.join_and(absent[:6])})"
    kept[0] = first
    return kept
