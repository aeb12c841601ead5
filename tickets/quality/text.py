"""Text helpers the quality rules share: normalised words, runs of words, likeness.

Language-neutral (Unicode words, casefolded) and deliberately simple: the rules compare
wording, not meaning, so no NLP library is needed and a ticket is checked in well under a
millisecond.
"""

import re
from difflib import SequenceMatcher

# A word is letters, digits and underscores; a "." "," or ":" between two digits stays inside
# it, so "3.12", "10,000", "12,50", "09:00" and "v4.2.0" are one word each.
_WORD_RE = re.compile(r"\w+(?:(?<=\d)[.,:]\d+)*")
_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|\n+")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a word list written as one string."""
    return frozenset(text.split())


def words(text: str) -> list[str]:
    """The casefolded words of `text`, punctuation dropped."""
    return _WORD_RE.findall(text.casefold())


def normalise(text: str) -> str:
    """`text` as its casefolded words joined by single spaces: what "the same text" compares."""
    return " ".join(words(text))


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_RE.split(text) if part.strip()]


def singular(word: str) -> str:
    """A crude singular, the same on both sides of a comparison ("admins" == "admin")."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def runs(word_list: list[str], length: int) -> set[str]:
    """Every run of `length` consecutive words, as text (words one space apart)."""
    return {" ".join(word_list[i : i + length]) for i in range(len(word_list) - length + 1)}


def jaccard(first: set, second: set) -> float:
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


def alike(first: list[str], second: list[str], threshold: float) -> bool:
    """Whether two word sequences read alike: difflib's ratio (1 = the same words in the same
    order) reaches `threshold`. Cheap bounds first: most pairs differ in length alone."""
    total = len(first) + len(second)
    if not total or 2 * min(len(first), len(second)) < threshold * total:
        return total == 0
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
