"""The structured ticket every generator must produce, and its validation.

Providers return loosely typed JSON; `validate_ticket` turns it into the normalised dict the
`Ticket` model stores, or raises `TicketSchemaError` listing every problem (the list is sent
back to the model in the repair attempt, so the messages are written for a model to act on).
"""

import re
from typing import Any

from tickets.kinds import KINDS, kind_values
from tickets.quality.clarify import ORIGINS
from tickets.quality.title_rules import TITLE_MAX as TITLE_MAX_GOOD
from tickets.quality.title_rules import TITLE_MIN as TITLE_MIN_GOOD

PRIORITIES = ("lowest", "low", "medium", "high", "highest")
STORY_POINTS = (1, 2, 3, 5, 8, 13)
TITLE_MAX = 120
SUMMARY_MAX = 2000
TEXT_MAX = 4000
LABELS_MAX = 10
LABEL_MAX = 40
CRITERIA_MAX = 12
STEPS_MAX = 20
EPIC_ITEMS_MAX = 10

USER_STORY_RE = re.compile(r"^\s*as an?\s+.+?\bI want\b.+?\bso that\b.+", re.IGNORECASE | re.DOTALL)
_LABEL_STRIP_RE = re.compile(r"[^a-z0-9._-]+")


def json_shape() -> str:
    """The object the model must reply with, shown in the prompt; mirrors validate_ticket."""
    stories = ", ".join(kind.value for kind in KINDS.values() if kind.user_story)
    bugs = ", ".join(kind.value for kind in KINDS.values() if kind.reproduction)
    epics = ", ".join(kind.value for kind in KINDS.values() if kind.epic)
    return f"""{{
  "title": "string, {TITLE_MIN_GOOD} to {TITLE_MAX_GOOD} characters, imperative and specific",
  "type": "{' | '.join(kind_values())}",
  "summary": "string: two to four sentences of context and scope",
  "user_story": "As a <role>, I want <goal> so that <benefit> ({stories} only; else empty)",
  "acceptance_criteria": [{{"given": "string", "when": "string", "then": "string",
                           "origin": "description | answer | assumption"}}],
  "priority": "{' | '.join(PRIORITIES)}",
  "labels": ["lowercase-words"],
  "story_points": {' | '.join(map(str, STORY_POINTS))},
  "technical_notes": "string",
  "steps_to_reproduce": ["string"]  ({bugs} only, else []),
  "expected_behaviour": "string ({bugs} only, else empty)",
  "actual_behaviour": "string ({bugs} only, else empty)",
  "scope": ["string: what it delivers"]  ({epics} only, else []),
  "out_of_scope": ["string: what it leaves out"]  ({epics} only, else []),
  "success_measures": ["string: a measurable result"]  ({epics} only, else [])
}}"""


class TicketSchemaError(ValueError):
    """The data does not describe a valid ticket; `errors` lists each problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def _text(data: dict, key: str, errors: list[str], *, required: bool, max_len: int) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(f"{key} must be a string")
        return ""
    value = value.strip()
    if required and not value:
        errors.append(f"{key} is required")
    if len(value) > max_len:
        errors.append(f"{key} must be at most {max_len} characters (got {len(value)})")
    return value


def _string_list(data: dict, key: str, errors: list[str], *, max_items: int) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(f"{key} must be a list of strings")
        return []
    items = [item.strip() for item in value if item.strip()]
    if len(items) > max_items:
        errors.append(f"{key} must have at most {max_items} items")
    return items


def _criteria(data: dict, errors: list[str], *,
              outcome_only: bool = False) -> list[dict[str, str]]:
    value = data.get("acceptance_criteria")
    if not isinstance(value, list) or not value:
        errors.append("acceptance_criteria must be a non-empty list of {given, when, then} objects")
        return []
    criteria = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            errors.append(f"acceptance_criteria[{index}] must be an object with given, when, then")
            continue
        clause = {}
        for part in ("given", "when", "then"):
            if outcome_only and part != "then":
                # A checklist criterion (a template's style) is its outcome alone.
                clause[part] = ""
                continue
            text = item.get(part)
            if not isinstance(text, str) or not text.strip():
                errors.append(f"acceptance_criteria[{index}].{part} must be a non-empty string")
                text = ""
            clause[part] = text.strip()
        # Where it comes from (tickets/quality/clarify.py), when the generator says; an
        # unknown value is dropped and decided from the text after generation.
        if item.get("origin") in ORIGINS:
            clause["origin"] = item["origin"]
        criteria.append(clause)
    if len(criteria) > CRITERIA_MAX:
        errors.append(f"acceptance_criteria must have at most {CRITERIA_MAX} items")
    return criteria


def _labels(data: dict, errors: list[str]) -> list[str]:
    raw = data.get("labels")
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        errors.append("labels must be a list of strings")
        return []
    labels: list[str] = []
    for item in raw:
        # Jira labels cannot contain spaces; keep them short, lowercase and unique.
        label = _LABEL_STRIP_RE.sub("-", item.strip().lower()).strip("-")[:LABEL_MAX]
        if label and label not in labels:
            labels.append(label)
    if len(labels) > LABELS_MAX:
        errors.append(f"labels must have at most {LABELS_MAX} items")
    return labels


def _story_points(data: dict, errors: list[str]) -> int | None:
    value = data.get("story_points")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in STORY_POINTS:
        errors.append(f"story_points must be one of {', '.join(map(str, STORY_POINTS))}")
        return None
    return value


def validate_ticket(data: Any, *, ticket_type: str, template=None) -> dict[str, Any]:
    """Check `data` against the ticket schema for `ticket_type` and return it normalised.

    Which kind-specific fields are required (and which are emptied) is the kind's
    (tickets/kinds.py). A `template` (tickets/ticket_templates/spec.py) shapes the result:
    checklist criteria need only their outcome, a hidden user story is not required, and
    `TemplateSpec.shape` empties hidden sections, keeps labels from its vocabulary and saves
    the priority as its scheme's level. Raises TicketSchemaError with every problem found.
    Unknown keys are dropped.
    """
    kind = KINDS.get(ticket_type)
    if kind is None:
        raise TicketSchemaError([f"type must be one of {', '.join(kind_values())}"])
    if not isinstance(data, dict):
        raise TicketSchemaError(["the reply must be a single JSON object"])
    errors: list[str] = []
    declared = data.get("type")
    if isinstance(declared, str) and declared.strip() and declared.strip().lower() != ticket_type:
        errors.append(f"type must be {ticket_type!r}")
    priority = data.get("priority")
    priority = priority.strip().lower() if isinstance(priority, str) else ""
    if priority not in PRIORITIES:
        errors.append(f"priority must be one of {', '.join(PRIORITIES)}")
    result = {
        "title": _text(data, "title", errors, required=True, max_len=TITLE_MAX),
        "type": ticket_type,
        "summary": _text(data, "summary", errors, required=True, max_len=SUMMARY_MAX),
        "user_story": _text(data, "user_story", errors, required=False, max_len=TEXT_MAX),
        "acceptance_criteria": _criteria(
            data, errors, outcome_only=template is not None and template.checklist),
        "priority": priority,
        "labels": _labels(data, errors),
        "story_points": _story_points(data, errors),
        "technical_notes": _text(data, "technical_notes", errors, required=False, max_len=TEXT_MAX),
        "steps_to_reproduce": [],
        "expected_behaviour": "",
        "actual_behaviour": "",
        "scope": [],
        "out_of_scope": [],
        "success_measures": [],
    }
    if kind.user_story and not (template is not None and template.hides("user_story")):
        if not USER_STORY_RE.match(result["user_story"]):
            errors.append('user_story must read "As a <role>, I want <goal> so that <benefit>"')
    else:
        result["user_story"] = ""
    if kind.reproduction:
        result["steps_to_reproduce"] = _string_list(
            data, "steps_to_reproduce", errors, max_items=STEPS_MAX
        )
        if not result["steps_to_reproduce"]:
            errors.append(f"steps_to_reproduce must list at least one step for a {ticket_type}")
        for key in ("expected_behaviour", "actual_behaviour"):
            result[key] = _text(data, key, errors, required=True, max_len=TEXT_MAX)
    if kind.epic:
        for key in ("scope", "out_of_scope", "success_measures"):
            result[key] = _string_list(data, key, errors, max_items=EPIC_ITEMS_MAX)
        for key in ("scope", "success_measures"):
            if not result[key]:
                errors.append(f"{key} must list at least one item for an {ticket_type}")
    if errors:
        raise TicketSchemaError(errors)
    return template.shape(result) if template is not None else result
