"""Exports of finished tickets: Markdown, JSON, Jira CSV and PDF, and the registry of them.

Pure functions of ticket rows; the views decide who may export what. Which sections a ticket
has, its type's name and its Jira issue type come from its kind (tickets/kinds.py).
"""

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tickets.kinds import get_kind
from tickets.models import Ticket

JIRA_COLUMNS = ["Summary", "Issue Type", "Priority", "Labels", "Description", "Story Points"]
DEFAULT_PDF_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def ticket_markdown(ticket: Ticket) -> str:
    """The ticket as Markdown, the same text the "Copy as Markdown" button copies."""
    kind = get_kind(ticket.ticket_type)
    lines = [f"# {ticket.title}", ""]
    meta = [f"**Type:** {kind.label}"]
    if ticket.priority:
        meta.append(f"**Priority:** {ticket.get_priority_display()}")
    if ticket.story_points:
        meta.append(f"**Story points:** {ticket.story_points}")
    if ticket.labels:
        meta.append("**Labels:** " + ", ".join(f"`{label}`" for label in ticket.labels))
    lines += [" · ".join(meta), "", "## Summary", "", ticket.summary, ""]
    if ticket.user_story:
        lines += ["## User story", "", f"> {ticket.user_story}", ""]
    if kind.reproduction:
        lines += ["## Steps to reproduce", ""]
        lines += [f"{number}. {step}" for number, step in enumerate(ticket.steps_to_reproduce, 1)]
        lines += ["", "## Expected behaviour", "", ticket.expected_behaviour, ""]
        lines += ["## Actual behaviour", "", ticket.actual_behaviour, ""]
    if ticket.acceptance_criteria:
        lines += ["## Acceptance criteria", ""]
        for criterion in ticket.acceptance_criteria:
            lines.append(
                f"- **Given** {criterion['given']} **when** {criterion['when']} "
                f"**then** {criterion['then']}"
            )
        lines.append("")
    if ticket.technical_notes:
        lines += ["## Technical notes", "", ticket.technical_notes, ""]
    return "\n".join(lines).rstrip() + "\n"


def tickets_markdown(tickets: Iterable[Ticket]) -> str:
    return "\n---\n\n".join(ticket_markdown(ticket) for ticket in tickets)


def ticket_data(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        **ticket.content(),
        "quality": ticket.quality,
        "generator": ticket.generator,
        "description": ticket.description,
        "product_area": ticket.product_area,
        "tech_stack": ticket.tech_stack,
        "created_at": ticket.created_at.isoformat(),
    }


def tickets_json(tickets: Iterable[Ticket]) -> str:
    return json.dumps({"tickets": [ticket_data(ticket) for ticket in tickets]}, indent=2,
                      ensure_ascii=False)


def _jira_description(ticket: Ticket) -> str:
    """Jira wiki markup, which the CSV importer renders."""
    parts = [ticket.summary]
    if ticket.user_story:
        parts += ["", "h3. User story", f"bq. {ticket.user_story}"]
    if get_kind(ticket.ticket_type).reproduction:
        parts += ["", "h3. Steps to reproduce", *[f"# {s}" for s in ticket.steps_to_reproduce]]
        parts += ["", "h3. Expected behaviour", ticket.expected_behaviour]
        parts += ["", "h3. Actual behaviour", ticket.actual_behaviour]
    if ticket.acceptance_criteria:
        parts += ["", "h3. Acceptance criteria"]
        parts += [f"* *Given* {c['given']} *when* {c['when']} *then* {c['then']}"
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
    """CSV in the columns Jira's importer maps; labels are space-separated in one column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(JIRA_COLUMNS)
    for ticket in tickets:
        writer.writerow([
            _cell(ticket.title),
            get_kind(ticket.ticket_type).jira_issue_type,
            ticket.get_priority_display() if ticket.priority else "",
            _cell(" ".join(ticket.labels)),
            _cell(_jira_description(ticket)),
            ticket.story_points or "",
        ])
    return buffer.getvalue()


def _pdf_font_path() -> str | None:
    candidates = [getattr(settings, "TICKETS_PDF_FONT", "")] + list(DEFAULT_PDF_FONTS)
    return next((path for path in candidates if path and Path(path).is_file()), None)


def tickets_pdf(tickets: Iterable[Ticket]) -> bytes:
    """A PDF with one ticket per page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title("MyBA tickets")
    font_path = _pdf_font_path()
    if font_path:
        pdf.add_font("Body", "", font_path)
        family = "Body"

        def text(value: str) -> str:
            return value
    else:
        # Core fonts only know Latin-1; replace what they cannot draw rather than fail.
        family = "Helvetica"

        def text(value: str) -> str:
            return value.replace("…", "...").encode("latin-1", "replace").decode("latin-1")

    def heading(value: str, size: int) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, size * 0.55, text(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    def body(value: str) -> None:
        pdf.set_font(family, size=10.5)
        pdf.multi_cell(0, 5.5, text(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    for ticket in tickets:
        kind = get_kind(ticket.ticket_type)
        pdf.add_page()
        heading(ticket.title, 16)
        meta = [kind.label]
        if ticket.priority:
            meta.append(f"Priority: {ticket.get_priority_display()}")
        if ticket.story_points:
            meta.append(f"Story points: {ticket.story_points}")
        if ticket.labels:
            meta.append("Labels: " + ", ".join(ticket.labels))
        body(" | ".join(meta))
        heading("Summary", 12)
        body(ticket.summary)
        if ticket.user_story:
            heading("User story", 12)
            body(ticket.user_story)
        if kind.reproduction:
            heading("Steps to reproduce", 12)
            body("\n".join(f"{n}. {s}" for n, s in enumerate(ticket.steps_to_reproduce, 1)))
            heading("Expected behaviour", 12)
            body(ticket.expected_behaviour)
            heading("Actual behaviour", 12)
            body(ticket.actual_behaviour)
        if ticket.acceptance_criteria:
            heading("Acceptance criteria", 12)
            body("\n".join(f"- Given {c['given']}, when {c['when']}, then {c['then']}"
                           for c in ticket.acceptance_criteria))
        if ticket.technical_notes:
            heading("Technical notes", 12)
            body(ticket.technical_notes)
    if not pdf.pages:
        pdf.add_page()
    return bytes(pdf.output())


@dataclass(frozen=True)
class ExportFormat:
    key: str  # in URLs: /tickets/<id>/export/<key>/, ?format=<key>
    label: str  # on the export buttons
    content_type: str
    extension: str
    render: Callable[[list[Ticket]], str | bytes]


EXPORT_FORMATS: dict[str, ExportFormat] = {
    export.key: export
    for export in (
        ExportFormat("md", "Markdown", "text/markdown; charset=utf-8", "md", tickets_markdown),
        ExportFormat("json", "JSON", "application/json", "json", tickets_json),
        ExportFormat("csv", "Jira CSV", "text/csv; charset=utf-8", "csv", tickets_jira_csv),
        ExportFormat("pdf", "PDF", "application/pdf", "pdf", tickets_pdf),
    )
}
