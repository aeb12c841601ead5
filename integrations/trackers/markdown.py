"""The Markdown body of a GitHub or GitLab issue, and the hidden marker that finds it again.

Both trackers render GitHub-flavoured Markdown, so one body serves both: the summary, the
user story, bug and epic sections, acceptance criteria as a task list, technical notes and a
footer with what has no field of its own there (the estimate, the type, the parent). It ends
with `<!-- myba:<marker> -->`, invisible on the page; ticket text can never forge one.
"""

import re

from django.utils.translation import gettext as _

from integrations.trackers.base import PreviewRow, Remote
from tickets.kinds import get_kind
from tickets.models import Ticket

MARKER_RE = re.compile(r"<!-- myba:(myba-[0-9a-z]+) -->")
EPIC_SECTIONS = (("scope", "Scope"), ("out_of_scope", "Out of scope"),
                 ("success_measures", "Success measures"))


def hidden_marker(marker: str) -> str:
    return f"<!-- myba:{marker} -->"


def has_marker(body: str | None, marker: str) -> bool:
    return marker in MARKER_RE.findall(body or "")


def _safe(text: str) -> str:
    """Ticket text with HTML comments defused: a ticket that quotes a marker (or opens a
    comment that would hide the rest of the body) shows it as text instead."""
    return (text or "").replace("<!--", "&lt;!--")


def criterion_line(criterion: dict) -> str:
    """One acceptance criterion as a task-list item (checklist criteria have only `then`)."""
    if not criterion.get("given") and not criterion.get("when"):
        text = criterion.get("then", "")
    else:
        text = (f"**Given** {criterion.get('given', '')} **when** {criterion.get('when', '')} "
                f"**then** {criterion.get('then', '')}")
    if criterion.get("origin") == "assumption":
        text += " _(assumption: confirm it)_"
    return f"- [ ] {_safe(text)}"


def issue_body(ticket: Ticket, *, marker: str, facts: list[str]) -> str:
    """The issue's description. `facts` are the footer's "Name: value" items the tracker
    has no field for (its own estimate, type, parent), in the caller's words."""
    kind = get_kind(ticket.ticket_type)
    lines = [_safe(ticket.summary), ""]
    if kind.epic:
        for field, heading in EPIC_SECTIONS:
            items = getattr(ticket, field)
            if items:
                lines += [f"### {heading}", "", *(f"- {_safe(item)}" for item in items), ""]
    if ticket.user_story:
        lines += ["### User story", "", f"> {_safe(ticket.user_story)}", ""]
    if kind.reproduction:
        lines += ["### Steps to reproduce", ""]
        lines += [f"{n}. {_safe(step)}" for n, step in enumerate(ticket.steps_to_reproduce, 1)]
        lines += ["", "### Expected behavior", "", _safe(ticket.expected_behaviour), ""]
        lines += ["### Actual behavior", "", _safe(ticket.actual_behaviour), ""]
    if ticket.acceptance_criteria:
        lines += ["### Acceptance criteria", ""]
        lines += [criterion_line(criterion) for criterion in ticket.acceptance_criteria]
        lines.append("")
    if ticket.technical_notes:
        lines += ["### Technical notes", "", _safe(ticket.technical_notes), ""]
    lines += ["---", "", " · ".join([*facts, f"MyBA ticket `{ticket.public_id}`"]), "",
              hidden_marker(marker)]
    return "\n".join(lines) + "\n"


def criteria_text(ticket: Ticket) -> str:
    """The criteria as the preview shows them (one task-list line each)."""
    return "\n".join(criterion_line(c) for c in ticket.acceptance_criteria)


def priority_label(ticket: Ticket) -> str:
    """Priority as a label, in the words of the ticket's template ("priority: high")."""
    return f"priority: {ticket.priority_label.lower()}" if ticket.priority else ""


def issue_labels(ticket: Ticket, *, limit: int = 50) -> list[str]:
    """The ticket's labels, then its kind and priority, each once and within `limit`
    characters (GitHub's longest label name)."""
    labels: list[str] = []
    for label in [*ticket.labels, ticket.ticket_type, priority_label(ticket)]:
        label = str(label).strip()[:limit]
        if label and label not in labels:
            labels.append(label)
    return labels


def issue_facts(ticket: Ticket, *, parent: Remote | None) -> list[str]:
    """The short facts line of an issue body: type, priority, estimate, parent."""
    facts = [f"Type: {get_kind(ticket.ticket_type).label}"]
    if ticket.priority:
        facts.append(f"Priority: {ticket.priority_label}")
    if ticket.story_points:
        facts.append(f"Story points: {ticket.story_points}")
    if parent is not None:
        facts.append(f"Part of {parent.key}")
    return facts


def section_rows(ticket: Ticket, *, where: str) -> list[PreviewRow]:
    """Preview rows of the kind's own sections, all written into the body (`where`)."""
    kind = get_kind(ticket.ticket_type)
    rows = []
    if kind.reproduction:
        rows += [PreviewRow(_("Steps to reproduce"), where, "\n".join(ticket.steps_to_reproduce)),
                 PreviewRow(_("Expected behaviour"), where, ticket.expected_behaviour),
                 PreviewRow(_("Actual behaviour"), where, ticket.actual_behaviour)]
    if kind.epic:
        rows += [PreviewRow(label, where, "\n".join(getattr(ticket, field)))
                 for field, label in (("scope", _("Scope")), ("out_of_scope", _("Out of scope")),
                                      ("success_measures", _("Success measures")))]
    if ticket.technical_notes:
        rows.append(PreviewRow(_("Technical notes"), where, ticket.technical_notes))
    return rows
