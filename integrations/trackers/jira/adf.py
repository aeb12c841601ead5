"""Atlassian Document Format: the rich text Jira Cloud's REST API v3 takes for the description
and for multi-line custom fields (a plain string there is refused with HTTP 400).

Small builders for the nodes we write, and the ticket's description as a document. Every text
node carries non-empty text (Jira refuses empty ones), and task items get stable local ids
so the same ticket always makes the same document (the push compares digests of what it sent).
"""

from tickets.kinds import get_kind

Node = dict


def text(value: str, *marks: str) -> Node:
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = [{"type": mark} for mark in marks]
    return node


def paragraph(*content: Node) -> Node:
    return {"type": "paragraph", "content": [node for node in content if node.get("text", "x")]}


def paragraphs(value: str) -> list[Node]:
    """One paragraph per non-blank line of `value` (a blank line is no paragraph)."""
    return [paragraph(text(line.strip())) for line in value.splitlines() if line.strip()]


def heading(value: str, level: int = 2) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": [text(value)]}


def bullet_list(items: list[list[Node]]) -> Node:
    """A bullet list; each item is the inline content of its one paragraph."""
    return {"type": "bulletList",
            "content": [{"type": "listItem", "content": [paragraph(*item)]} for item in items]}


def ordered_list(items: list[str]) -> Node:
    return {"type": "orderedList", "attrs": {"order": 1},
            "content": [{"type": "listItem", "content": [paragraph(text(item))]}
                        for item in items]}


def task_list(items: list[str], *, prefix: str) -> Node:
    """Unticked checklist items (Jira shows them as tickable boxes)."""
    return {"type": "taskList", "attrs": {"localId": f"{prefix}-list"},
            "content": [{"type": "taskItem",
                         "attrs": {"localId": f"{prefix}-{number}", "state": "TODO"},
                         "content": [text(item)]}
                        for number, item in enumerate(items, 1)]}


def blockquote(value: str) -> Node:
    return {"type": "blockquote", "content": paragraphs(value)}


def doc(content: list[Node]) -> Node:
    # An empty document is valid ADF only with at least one block in most Jira screens.
    return {"type": "doc", "version": 1, "content": content or [paragraph()]}


# -- the ticket -------------------------------------------------------------------------------

def _is_checklist(criterion: dict) -> bool:
    return not criterion.get("given") and not criterion.get("when")


def criteria_nodes(criteria: list[dict]) -> list[Node]:
    """Acceptance criteria as blocks: Given/When/Then as a bullet list with the keywords in
    bold, checklist-style criteria (outcome only) as a task list."""
    nodes: list[Node] = []
    scenarios = [c for c in criteria if not _is_checklist(c)]
    checks = [c for c in criteria if _is_checklist(c)]
    if scenarios:
        nodes.append(bullet_list([
            [text("Given ", "strong"), text(f"{c['given']} "), text("when ", "strong"),
             text(f"{c['when']} "), text("then ", "strong"), text(c["then"]),
             *([text(" (assumption: confirm it)", "em")] if c.get("origin") == "assumption"
               else [])]
            for c in scenarios]))
    if checks:
        nodes.append(task_list([c["then"] for c in checks if c.get("then")], prefix="ac"))
    return nodes


def criteria_doc(criteria: list[dict]) -> Node:
    return doc(criteria_nodes(criteria))


def criteria_text(criteria: list[dict], *, separator: str = "; ") -> str:
    """Criteria for a single-line text field (no rich text there), or the preview."""
    return separator.join(
        c["then"] if _is_checklist(c) else f"Given {c['given']} when {c['when']} then {c['then']}"
        for c in criteria)


def description_doc(ticket, *, criteria: bool, estimate: bool) -> Node:
    """The ticket's description: summary (an epic's goal and sections), user story, a bug's
    reproduction, technical notes; the acceptance criteria under a heading when `criteria`
    (no field of their own on this issue type) and the estimate when `estimate` (no story
    points field)."""
    kind = get_kind(ticket.ticket_type)
    content: list[Node] = []
    if ticket.summary:
        content += ([heading("Goal")] if kind.epic else []) + paragraphs(ticket.summary)
    if kind.epic:
        for field, title in (("scope", "Scope"), ("out_of_scope", "Out of scope"),
                             ("success_measures", "Success measures")):
            items = [item for item in getattr(ticket, field) if item.strip()]
            if items:
                content += [heading(title), bullet_list([[text(item)] for item in items])]
    if ticket.user_story:
        content += [heading("User story"), blockquote(ticket.user_story)]
    if kind.reproduction:
        steps = [step for step in ticket.steps_to_reproduce if step.strip()]
        if steps:
            content += [heading("Steps to reproduce"), ordered_list(steps)]
        if ticket.expected_behaviour:
            content += [heading("Expected behavior"), *paragraphs(ticket.expected_behaviour)]
        if ticket.actual_behaviour:
            content += [heading("Actual behavior"), *paragraphs(ticket.actual_behaviour)]
    if criteria and ticket.acceptance_criteria:
        content += [heading("Acceptance criteria"), *criteria_nodes(ticket.acceptance_criteria)]
    if ticket.technical_notes:
        content += [heading("Technical notes"), *paragraphs(ticket.technical_notes)]
    if estimate and ticket.story_points:
        content.append(paragraph(text("Estimate: ", "strong"),
                                 text(f"{ticket.story_points} story points")))
    return doc(content)



LISTS = {"bulletList", "orderedList", "taskList"}
BULLETS = {"listItem": "• ", "taskItem": "☐ "}
BLOCKS = {"paragraph", "heading", "codeBlock", "blockquote", *BULLETS}


def plain_text(doc: Node) -> str:
    """The document as plain text for the preview: a line per block, list items indented
    under a bullet (what Jira shows, without the styling)."""
    lines: list[str] = []

    def walk(node: Node, depth: int) -> None:
        kind = node.get("type")
        if kind == "text":
            lines[-1] += node.get("text", "")
            return
        if kind in BLOCKS:
            bare_bullet = lines and lines[-1].strip() in ("•", "☐")
            if not (bare_bullet and kind not in BULLETS):
                lines.append("  " * max(0, depth - 1) + BULLETS.get(kind, ""))
        for child in node.get("content", []):
            walk(child, depth + (kind in LISTS))

    walk(doc, 0)
    return "\n".join(line.rstrip() for line in lines if line.strip())
