"""An epic's own sections and the plan of its children, by fixed rules.

The scope is the list of capabilities the description asks for ("save a card at checkout,
choose a saved card next time, …" gives one item each); the plan makes one child per scope
item (an epic) or per acceptance criterion (a story split into tasks), padded to the minimum
with the slices every piece of work has (its errors and edge cases, its release). A child
that uses what an earlier one builds ("choose a saved card" after "save a card") depends on it.
"""

import re

from tickets.models.splits import MIN_CHILDREN

from . import english
from .reading import Reading

_ITEM_SPLIT_RE = re.compile(r"\s*(?:;|,\s*(?:and|or)\s+|,\s+|\s+and\s+(?=[a-z]+\s))\s*")
# Verbs that make something, and verbs that use what was made: a using item depends on the
# making item before it.
_MAKES = frozenset({"add", "build", "create", "import", "save", "set", "store", "upload",
                    "record", "collect", "capture", "connect", "send"})
_USES = frozenset({"choose", "use", "pick", "select", "remove", "delete", "edit", "change",
                   "update", "view", "see", "list", "show", "export", "search", "filter",
                   "share", "manage", "reuse", "track", "report"})
ITEM_MAX = 160


def _items(text: str) -> list[str]:
    items = []
    for part in _ITEM_SPLIT_RE.split(text):
        part = part.strip(" .,:;")
        part = re.sub(r",?\s+so\s+(?:that\s+)?.+$", "", part, flags=re.IGNORECASE)
        if len(english.words(part)) >= 2 and part.lower() not in (i.lower() for i in items):
            items.append(part[:ITEM_MAX])
    return items


def scope(reading: Reading, *, limit: int = 8) -> list[str]:
    """What the epic delivers: the description's requests, one capability each."""
    found = []
    for source in (*reading.more, *(s for s in reading.sentences[1:])):
        for item in _items(source):
            if item.lower() not in (i.lower() for i in found):
                found.append(item)
    if not found:
        found = _items(reading.goal) if reading.goal else []
    found = [english.capitalize(item) for item in found][:limit]
    while len(found) < MIN_CHILDREN:
        found.append(_PADDING[len(found) % len(_PADDING)].format(goal=reading.goal or "it"))
    return found


_PADDING = (
    "The main flow to {goal}",
    "Errors and edge cases when people {goal}",
    "Release {goal}: switch it on, announce it and measure its use",
)


def out_of_scope(reading: Reading) -> list[str]:
    return [
        "Anything the description does not ask for: raise it as its own ticket",
        "Changes to other products or teams' systems",
    ]


def success_measures(reading: Reading) -> list[str]:
    """Measurable results: the description's own numbers first."""
    measures = [f"In production, the target the description sets holds: {fact}"
                for fact in reading.facts if any(ch.isdigit() for ch in fact)][:3]
    measures.append("Every scope item is released and shown in a sprint demo")
    measures.append("Support requests about it fall in the 30 days after release")
    return measures


def _verb(text: str) -> str:
    return (english.words(text) or [""])[0].lower()


def dependencies(titles: list[str]) -> list[list[int]]:
    """For each child (1-based positions), the earlier children it needs done first."""
    needs = []
    for index, title in enumerate(titles):
        verb = _verb(title)
        made = [position for position, earlier in enumerate(titles[:index], 1)
                if _verb(earlier) in _MAKES]
        needs.append(made[-1:] if verb in _USES else [])
    return needs


def plan_children(*, title: str, summary: str, scope_items: list[str],
                  criteria: list[dict], child_type: str, max_children: int) -> list[dict]:
    """The children of a ticket: one per scope item (an epic) or acceptance criterion (a
    story), at least MIN_CHILDREN and at most `max_children`."""
    if scope_items:
        parts = list(scope_items)
    else:
        parts = [criterion["then"] for criterion in criteria if criterion.get("then")]
        parts = [f"Make this true: {english.lower_first(part).rstrip('.')}" for part in parts]
    parts = parts[:max_children]
    slices = (f"Handle the errors and edge cases of “{title}”",
              f"Test “{title}” end to end and document it",
              f"Release “{title}” and measure its use")
    for extra in slices:
        if len(parts) >= MIN_CHILDREN:
            break
        parts.append(extra)
    context = summary.split(". ")[0].rstrip(".")
    titles = [english.capitalize(part)[:90].rstrip(" ,;:") for part in parts]
    needs = dependencies(titles)
    return [
        {"title": child_title,
         "description": (f"{english.capitalize(part).rstrip('.')}. This is one {child_type} of "
                         f"“{title}”: {context}."),
         "depends_on": need}
        for child_title, part, need in zip(titles, parts, needs, strict=True)
    ]
