"""The text exports: Markdown, JSON and Jira CSV. An epic's stories (a story's sub-tasks),
when attached (`selectors.with_children`), are written under it."""

import csv
import io
import json
from collections.abc import Iterable

from tickets.kinds import get_kind
from tickets.models import Ticket

# "Issue ID" and "Parent" carry an epic's stories (a story's sub-tasks) into Jira: the
# importer links a row whose Parent names another row's Issue ID, parents listed first.
JIRA_COLUMNS = ["Issue ID", "Parent", "Summary", "Issue Type", "Priority", "Labels",
                "Description", "Story Points", "MyBA ID", "MyBA quality score"]
EPIC_SECTIONS = (("scope", "Scope"), ("out_of_scope", "Out of scope"),
                 ("success_measures", "Success measures"))


def _is_checklist(criterion: dict) -> bool:
    """An outcome-only criterion (a template's checklist style): no Given, no When."""
    return not criterion.get("given") and not criterion.get("when")


def children_of(ticket: Ticket) -> list[Ticket]:
    """The finished children an export writes under `ticket` (set by
    `selectors.with_children`; none otherwise)."""
    return getattr(ticket, "export_children", [])


def _demoted(markdown: str, levels: int) -> str:
    return "\n".join("#" * levels + line if line.startswith("#") else line
                     for line in markdown.splitlines())


def ticket_markdown(ticket: Ticket) -> str:
    """The ticket as Markdown, the same text the "Copy as Markdown" button copies."""
    kind = get_kind(ticket.ticket_type)
    lines = [f"# {ticket.title}", ""]
    meta = [f"**ID:** `{ticket.public_id}`", f"**Type:** {kind.label}"]
    if ticket.priority:
        meta.append(f"**Priority:** {ticket.priority_label}")
    if ticket.story_points:
        meta.append(f"**Story points:** {ticket.story_points}")
    if ticket.labels:
        meta.append("**Labels:** " + ", ".join(f"`{label}`" for label in ticket.labels))
    if ticket.quality_score is not None:
        meta.append(f"**Quality check:** {ticket.quality_score}/100")
    lines += [" · ".join(meta), "", "## Goal" if kind.epic else "## Summary", "",
              ticket.summary, ""]
    if kind.epic:
        for field, heading in EPIC_SECTIONS:
            if getattr(ticket, field):
                lines += [f"## {heading}", "", *(f"- {item}" for item in getattr(ticket, field)),
                          ""]
    if ticket.user_story:
        lines += ["## User story", "", f"> {ticket.user_story}", ""]
    if kind.reproduction:
        lines += ["## Steps to reproduce", ""]
        lines += [f"{number}. {step}" for number, step in enumerate(ticket.steps_to_reproduce, 1)]
        lines += ["", "## Expected behavior", "", ticket.expected_behaviour, ""]
        lines += ["## Actual behavior", "", ticket.actual_behaviour, ""]
    if ticket.acceptance_criteria:
        lines += ["## Acceptance criteria", ""]
        for criterion in ticket.acceptance_criteria:
            lines.append(
                (f"- **Given** {criterion['given']} **when** {criterion['when']} "
                 f"**then** {criterion['then']}" if not _is_checklist(criterion)
                 else f"- [ ] {criterion['then']}")
                + (" _(assumption: confirm it)_" if criterion.get("origin") == "assumption"
                   else "")
            )
        lines.append("")
    if ticket.technical_notes:
        lines += ["## Technical notes", "", ticket.technical_notes, ""]
    children = children_of(ticket)
    if children:
        lines += ["## Stories" if kind.epic else "## Sub-tasks", ""]
        lines += [_demoted(ticket_markdown(child), 2) for child in children]
    return "\n".join(lines).rstrip() + "\n"


def tickets_markdown(tickets: Iterable[Ticket]) -> str:
    return "\n---\n\n".join(ticket_markdown(ticket) for ticket in tickets)


def ticket_data(ticket: Ticket) -> dict:
    """The ticket as the JSON export writes it. `quality` is the generation's tier (standard,
    advanced); `scorecard` is the stored quality check (`Scorecard.to_dict()`: score, version,
    rules), null when the ticket was never checked."""
    data = {
        "id": ticket.public_id,
        **ticket.content(),
        "parent": ticket.parent.public_id if ticket.parent_id else None,
        "depends_on": [need.public_id for need in ticket.depends_on.all()]
        if ticket.parent_id else [],
        "quality": ticket.quality,
        "scorecard": ticket.quality_report,
        "generator": ticket.generator,
        "description": ticket.description,
        "product_area": ticket.product_area,
        "tech_stack": ticket.tech_stack,
        "created_at": ticket.created_at.isoformat(),
    }
    if children_of(ticket):
        data["children"] = [ticket_data(child) for child in children_of(ticket)]
    return data


def tickets_json(tickets: Iterable[Ticket]) -> str:
    return json.dumps({"tickets": [ticket_data(ticket) for ticket in tickets]}, indent=2,
                      ensure_ascii=False)


def _jira_description(ticket: Ticket) -> str:
    """Jira wiki markup, which the CSV importer renders."""
    parts = [ticket.summary]
    for field, heading in EPIC_SECTIONS:
        if getattr(ticket, field):
            parts += ["", f"h3. {heading}", *(f"* {item}" for item in getattr(ticket, field))]
    if ticket.user_story:
        parts += ["", "h3. User story", f"bq. {ticket.user_story}"]
    if get_kind(ticket.ticket_type).reproduction:
        parts += ["", "h3. Steps to reproduce", *[f"# {s}" for s in ticket.steps_to_reproduce]]
        parts += ["", "h3. Expected behavior", ticket.expected_behaviour]
        parts += ["", "h3. Actual behavior", ticket.actual_behaviour]
    if ticket.acceptance_criteria:
        parts += ["", "h3. Acceptance criteria"]
        parts += [f"* *Given* {c['given']} *when* {c['when']} *then* {c['then']}"
                  if not _is_checklist(c) else f"* {c['then']}"
                  for c in ticket.acceptance_criteria]
    if ticket.technical_notes:
        parts += ["", "h3. Technical notes", ticket.technical_notes]
    return "\n".join(parts)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell starting with these is executed by Excel/Sheets.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def tickets_jira_csv(tickets: Iterable[Ticket]) -> str:
    """CSV in the columns Jira's importer maps; labels are space-separated in one column.
    "MyBA ID" and "MyBA quality score" (0–100, empty when never checked) map to no Jira field
    (the importer skips them unless told where to put them, e.g. a number custom field): the
    ID ties each row back to its ticket here."""
    rows: list[tuple[Ticket, Ticket | None, int]] = []  # (ticket, parent, depth)

    def add(ticket: Ticket, parent: Ticket | None, depth: int) -> None:
        rows.append((ticket, parent, depth))
        for child in children_of(ticket):
            add(child, ticket, depth + 1)

    for ticket in tickets:
        add(ticket, None, 0)
    # Parents before children, as the importer needs; the order within a level is kept.
    rows.sort(key=lambda row: row[2])
    issue_ids = {id(ticket): number for number, (ticket, _, _) in enumerate(rows, 1)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(JIRA_COLUMNS)
    for ticket, parent, _ in rows:
        sub_task = parent is not None and not get_kind(parent.ticket_type).epic
        writer.writerow([
            issue_ids[id(ticket)],
            issue_ids[id(parent)] if parent is not None else "",
            _cell(ticket.title),
            "Sub-task" if sub_task else get_kind(ticket.ticket_type).jira_issue_type,
            ticket.priority_label if ticket.priority else "",
            _cell(" ".join(ticket.labels)),
            _cell(_jira_description(ticket)),
            ticket.story_points or "",
            ticket.public_id,
            "" if ticket.quality_score is None else ticket.quality_score,
        ])
    return buffer.getvalue()


