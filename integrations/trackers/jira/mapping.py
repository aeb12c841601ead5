"""Where our fields go on one Jira project's issue type, read from its create metadata
(`GET /issue/createmeta/{project}/issuetypes/{issueTypeId}`).

The result is kept in the connection's target (`target["fields"]`), so every preview and push
of that connection sends the same fields, without asking Jira each time:

    {"labels": true,
     "priority": {"id": "priority", "names": {"highest": "Highest", ..., "lowest": "Lowest"}},
     "story_points": {"id": "customfield_10016", "name": "Story Points"},
     "acceptance_criteria": {"id": "customfield_10040", "name": "Acceptance Criteria",
                             "format": "adf"},          # or "text" (a single-line field)
     "parent": true,
     "blocking": [{"id": "customfield_10050", "name": "Team"}]}

A key is absent (or false) when the issue type's create screen has no such field. `blocking`
lists the fields Jira requires that we cannot fill: a draft for such a target is refused.
"""

from tickets.models import Priority

# Ours, highest first (the order Jira lists priorities in).
OUR_PRIORITIES = [Priority.HIGHEST, Priority.HIGH, Priority.MEDIUM, Priority.LOW,
                  Priority.LOWEST]
STORY_POINT_NAMES = ("story points", "story point estimate")
ACCEPTANCE_NAME = "acceptance criteria"
# Set by Jira itself from the request (project, issue type) or with a default we never send.
FILLED_BY_US = {"summary", "description", "project", "issuetype", "labels", "priority",
                "parent", "reporter"}
# Multi-line text custom fields take ADF in REST v3; single-line ones take a string.
TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"


def field_list(meta: dict) -> list[dict]:
    """The fields of a createmeta page (Jira names the list `fields`; older answers
    `results`, `values`)."""
    for key in ("fields", "results", "values"):
        if isinstance(meta.get(key), list):
            return meta[key]
    return []


def field_id(field: dict) -> str:
    return field.get("fieldId") or field.get("key") or ""


def map_priorities(allowed: list[dict]) -> dict[str, str]:
    """Our five priorities onto the project's names: the same name when it exists (any
    case), otherwise the one at the same relative rank (Jira lists highest first)."""
    names = [value.get("name", "") for value in allowed if value.get("name")]
    if not names:
        return {}
    by_lower = {name.lower(): name for name in names}
    mapping = {}
    for rank, ours in enumerate(OUR_PRIORITIES):
        same = by_lower.get(ours.value)
        index = round(rank * (len(names) - 1) / (len(OUR_PRIORITIES) - 1))
        mapping[ours.value] = same or names[index]
    return mapping


def map_fields(meta: dict) -> dict:
    """The target's `fields` mapping for one issue type's create metadata."""
    mapped: dict = {"blocking": []}
    for field in field_list(meta):
        fid = field_id(field)
        name = field.get("name", fid)
        lowered = name.strip().lower()
        schema = field.get("schema") or {}
        if fid == "labels":
            mapped["labels"] = True
        elif fid == "priority":
            names = map_priorities(field.get("allowedValues") or [])
            if names:
                mapped["priority"] = {"id": fid, "names": names}
        elif fid == "parent":
            mapped["parent"] = True
        elif lowered in STORY_POINT_NAMES and schema.get("type") == "number":
            mapped.setdefault("story_points", {"id": fid, "name": name})
        elif ACCEPTANCE_NAME in lowered and schema.get("type") == "string":
            mapped.setdefault("acceptance_criteria", {
                "id": fid, "name": name,
                "format": "adf" if schema.get("custom") == TEXTAREA else "text"})
        elif (field.get("required") and not field.get("hasDefaultValue")
              and fid not in FILLED_BY_US):
            mapped["blocking"].append({"id": fid, "name": name})
    return mapped
