"""What changed between two versions of a ticket, field by field, word by word.

Pure functions over `Ticket.content()` dicts, for the version history page: each changed field
as a run of kept, removed and added words (difflib's matching, which is what `diff` users
read), with lists (criteria, steps, labels) written one item per line first.
"""

import difflib
import re
from dataclasses import dataclass

LABELS = {
    "title": "Title",
    "summary": "Summary",
    "user_story": "User story",
    "acceptance_criteria": "Acceptance criteria",
    "priority": "Priority",
    "labels": "Labels",
    "story_points": "Story points",
    "technical_notes": "Technical notes",
    "steps_to_reproduce": "Steps to reproduce",
    "expected_behaviour": "Expected behavior",
    "actual_behaviour": "Actual behavior",
}
# Words and the whitespace after them, so that joining the pieces gives the text back.
_TOKENS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Piece:
    kind: str  # "same", "removed", "added"
    text: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    pieces: tuple[Piece, ...]


def field_text(field: str, value) -> str:
    """A field as the history shows it: lists one item per line, criteria as
    Given/When/Then."""
    if field == "acceptance_criteria":
        return "\n".join(f"{number}. Given {c.get('given', '')} When {c.get('when', '')} "
                         f"Then {c.get('then', '')}" for number, c in enumerate(value or [], 1))
    if field == "steps_to_reproduce":
        return "\n".join(f"{number}. {step}" for number, step in enumerate(value or [], 1))
    if field == "labels":
        return ", ".join(value or [])
    return "" if value is None else str(value)


def _pieces(old: str, new: str) -> tuple[Piece, ...]:
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if operation == "equal":
            pieces.append(Piece("same", "".join(before[a_start:a_end])))
            continue
        if a_end > a_start:
            pieces.append(Piece("removed", "".join(before[a_start:a_end])))
        if b_end > b_start:
            pieces.append(Piece("added", "".join(after[b_start:b_end])))
    return tuple(pieces)


def diff_content(old: dict | None, new: dict) -> list[FieldChange]:
    """The fields that differ from `old` to `new` (everything `new` has when there is no
    `old`), in the ticket's order. A field the ticket's kind does not have is empty in both,
    so it never shows."""
    changes = []
    for field, label in LABELS.items():
        before = field_text(field, (old or {}).get(field))
        after = field_text(field, new.get(field))
        if before != after:
            changes.append(FieldChange(field, label, _pieces(before, after)))
    return changes
