"""The fake Jira's projects (create metadata as REST v3 answers it) and its check of Atlassian
Document Format values."""

STORY_POINTS = "customfield_10016"
ACCEPTANCE = "customfield_10040"
PRIORITIES = [{"id": str(n), "name": name, "self": f"/rest/api/3/priority/{n}"}
              for n, name in enumerate(["Highest", "High", "Medium", "Low", "Lowest"], 1)]


def _field(fid: str, name: str, schema: dict, *, required: bool = False, **extra) -> dict:
    return {"fieldId": fid, "key": fid, "name": name, "required": required, "schema": schema,
            "hasDefaultValue": False, "operations": ["set"], **extra}


def _system(fid: str, name: str, kind: str, *, required: bool = False, **extra) -> dict:
    return _field(fid, name, {"type": kind, "system": fid}, required=required, **extra)


def _common() -> list[dict]:
    return [
        _system("issuetype", "Issue Type", "issuetype", required=True),
        _system("project", "Project", "project", required=True),
        _system("summary", "Summary", "string", required=True),
        _system("description", "Description", "string"),
        _system("reporter", "Reporter", "user", required=True, hasDefaultValue=True),
        {**_system("labels", "Labels", "array"), "schema": {"type": "array", "items": "string",
                                                            "system": "labels"}},
    ]


def _priority() -> dict:
    return _system("priority", "Priority", "priority", allowedValues=PRIORITIES,
                   hasDefaultValue=True, defaultValue=PRIORITIES[2])


def _parent() -> dict:
    return _system("parent", "Parent", "issuelink")


def _story_points() -> dict:
    return _field(STORY_POINTS, "Story Points", {
        "type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "customId": 10016})


def _acceptance() -> dict:
    return _field(ACCEPTANCE, "Acceptance Criteria", {
        "type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
        "customId": 10040})


def _type(type_id: str, name: str, fields: list[dict], *, level: int = 0) -> dict:
    return {"id": type_id, "name": name, "subtask": level < 0, "hierarchyLevel": level,
            "description": f"A {name.lower()}.", "fields": fields,
            "iconUrl": f"/images/icons/issuetypes/{name.lower()}.svg"}


def company_project(key: str, project_id: int) -> dict:
    """A company-managed ("classic") project: Story with Story Points and an Acceptance
    Criteria rich-text field, Task, Bug, Epic and Sub-task, all with priority."""
    base = [*_common(), _priority()]
    return {"id": str(project_id), "key": key, "name": f"{key.title()} project",
            "style": "classic", "counter": 0, "issueTypes": [
                _type("10000", "Epic", [*base, _story_points()], level=1),
                _type("10001", "Story", [*base, _parent(), _story_points(), _acceptance()]),
                _type("10002", "Task", [*base, _parent()]),
                _type("10003", "Bug", [*base, _parent()]),
                _type("10004", "Sub-task", [*base, {**_parent(), "required": True}], level=-1),
            ]}


def simple_project(key: str, project_id: int) -> dict:
    """A simpler team-managed-style project: Task and Epic, no custom fields, no priority."""
    return {"id": str(project_id), "key": key, "name": f"{key.title()} team", "style": "next-gen",
            "counter": 0, "issueTypes": [
                _type("10020", "Task", [*_common(), _parent()]),
                _type("10021", "Epic", _common(), level=1),
            ]}


def field_error(meta: dict, value, *, issues: dict) -> str:
    """What Jira says about a value of the wrong shape for its field, or ""."""
    schema = meta["schema"]
    kind = schema["type"]
    if schema.get("system") == "description" or schema.get("custom", "").endswith(":textarea"):
        if not isinstance(value, dict):
            return "Operation value must be an Atlassian Document (see the Atlassian " \
                   "Document Format)"
        return validate_adf(value)
    if kind == "string":
        if not isinstance(value, str):
            return "Operation value must be a string"
        if schema.get("system") == "summary" and ("\n" in value or len(value) > 255):
            return "Summary must be less than 255 characters and one line."
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "Operation value must be a number"
    if kind == "array" and schema.get("items") == "string" and (
            not isinstance(value, list)
            or any(not isinstance(v, str) or " " in v or not v for v in value)):
        return "The label must not contain spaces."
    if kind == "priority":
        names = [v["name"] for v in meta.get("allowedValues", [])]
        if not isinstance(value, dict) or value.get("name") not in names:
            return f"Specify a valid value for {meta['name']}"
    if kind == "issuelink" and (not isinstance(value, dict) or value.get("key") not in issues):
        return "Could not find issue by id or key."
    return ""


# -- ADF ------------------------------------------------------------------------------------
BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "listItem", "blockquote",
          "taskList", "taskItem", "codeBlock", "rule", "panel"}
INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
MARKS = {"strong", "em", "code", "link", "strike", "underline", "subsup", "textColor"}
CHILDREN = {"bulletList": {"listItem"}, "orderedList": {"listItem"}, "taskList": {"taskItem",
                                                                                  "taskList"}}


def validate_adf(value: dict) -> str:
    """"" when `value` is a well-formed ADF document (the nodes we and Jira's editor use),
    otherwise what is wrong, as Jira's error would say it."""
    if value.get("type") != "doc" or value.get("version") != 1:
        return "ADF: the root must be {\"type\": \"doc\", \"version\": 1}"
    if not isinstance(value.get("content"), list):
        return "ADF: the document needs a content list"
    for node in value["content"]:
        if error := _node(node, parent="doc"):
            return error
    return ""


def _node(node, *, parent: str) -> str:
    if not isinstance(node, dict) or "type" not in node:
        return f"ADF: a node in {parent} is not an object with a type"
    kind = node["type"]
    if kind not in BLOCKS | INLINE:
        return f"ADF: unknown node type {kind!r}"
    if parent in ("doc", "listItem", "blockquote") and kind in INLINE:
        return f"ADF: {parent} cannot contain {kind} directly (wrap it in a paragraph)"
    allowed = CHILDREN.get(parent)
    if allowed and kind not in allowed:
        return f"ADF: {parent} cannot contain {kind}"
    if kind == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            return "ADF: text nodes must have non-empty text"
        for mark in node.get("marks", []):
            if mark.get("type") not in MARKS:
                return f"ADF: unknown mark {mark.get('type')!r}"
        return ""
    if kind == "heading" and (node.get("attrs") or {}).get("level") not in range(1, 7):
        return "ADF: a heading needs attrs.level 1 to 6"
    if kind in ("taskList", "taskItem") and not (node.get("attrs") or {}).get("localId"):
        return f"ADF: {kind} needs attrs.localId"
    if kind == "taskItem" and node["attrs"].get("state") not in ("TODO", "DONE"):
        return "ADF: taskItem needs attrs.state TODO or DONE"
    if kind in CHILDREN and not node.get("content"):
        return f"ADF: {kind} must not be empty"
    for child in node.get("content", []):
        if error := _node(child, parent=kind):
            return error
    return ""
