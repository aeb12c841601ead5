"""Exports of finished tickets: Markdown, JSON, Jira CSV and PDF, and the registry of them.

Pure functions of ticket rows; the views decide who may export what. Which sections a ticket
has, its type's name and its Jira issue type come from its kind (tickets/kinds.py).
"""

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fpdf import FPDF

from config.pdf import latin1, pdf_fonts
from tickets.kinds import get_kind
from tickets.models import Ticket

# fontTools logs every font subset it makes at INFO: dozens of lines per PDF in the site's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

JIRA_COLUMNS = ["Summary", "Issue Type", "Priority", "Labels", "Description", "Story Points",
                "MyBA ID", "MyBA quality score"]


def _is_checklist(criterion: dict) -> bool:
    """An outcome-only criterion (a template's checklist style): no Given, no When."""
    return not criterion.get("given") and not criterion.get("when")


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
    lines += [" · ".join(meta), "", "## Summary", "", ticket.summary, ""]
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
    return "\n".join(lines).rstrip() + "\n"


def tickets_markdown(tickets: Iterable[Ticket]) -> str:
    return "\n---\n\n".join(ticket_markdown(ticket) for ticket in tickets)


def ticket_data(ticket: Ticket) -> dict:
    """The ticket as the JSON export writes it. `quality` is the generation's tier (standard,
    advanced); `scorecard` is the stored quality check (`Scorecard.to_dict()`: score, version,
    rules), null when the ticket was never checked."""
    return {
        "id": ticket.public_id,
        **ticket.content(),
        "quality": ticket.quality,
        "scorecard": ticket.quality_report,
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
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(JIRA_COLUMNS)
    for ticket in tickets:
        writer.writerow([
            _cell(ticket.title),
            get_kind(ticket.ticket_type).jira_issue_type,
            ticket.priority_label if ticket.priority else "",
            _cell(" ".join(ticket.labels)),
            _cell(_jira_description(ticket)),
            ticket.story_points or "",
            ticket.public_id,
            "" if ticket.quality_score is None else ticket.quality_score,
        ])
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------
# The PDF is the ticket card on paper: the same order and hierarchy (id line, title, badges,
# small capital section headings, the user story set off, Given/When/Then boxes), every line
# left-aligned (fpdf2 justifies multi_cell by default, which spread short lines into wide word
# gaps), and each page's footer names the ticket's public id and the page number.

# The card's light palette (static/css/app.css), as RGB.
INK = (22, 26, 38)
HEADING = (13, 17, 32)
MUTED = (91, 98, 117)
LINK = (67, 56, 202)
PRIMARY = (79, 70, 229)
BORDER = (226, 229, 238)
SURFACE_2 = (243, 244, 248)
BADGE = {  # priority -> (fill, text), as the card's badge-warning / badge-info / badge
    "highest": ((255, 248, 230), (161, 92, 7)),
    "high": ((255, 248, 230), (161, 92, 7)),
    "medium": ((238, 245, 255), (29, 95, 191)),
}
PLAIN_BADGE = (SURFACE_2, (55, 61, 79))
BODY_SIZE, BODY_LINE = 10, 5.2  # pt, mm
GWT_LABEL_WIDTH = 16  # mm: the card's 3.6rem column for Given / When / Then


class _PdfDocument(FPDF):
    """fpdf2 calls `footer` as each page ends: the ticket's public id and the page number."""

    mono = "Courier"
    public_id = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*BORDER)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)
        self.set_font(self.mono, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"MyBA · {self.public_id}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")


class _TicketPdf:
    """Writes tickets onto a PDF document, each from a new page."""

    def __init__(self):
        self.pdf = pdf = _PdfDocument(format="A4")
        pdf.set_margins(18, 18, 18)
        pdf.set_auto_page_break(auto=True, margin=20)
        pdf.set_creator("MyBA")
        faces = pdf_fonts()
        if faces:
            regular, bold, mono = faces
            pdf.add_font("Sans", "", regular)
            pdf.add_font("Sans", "B", bold)
            pdf.add_font("Mono", "", mono)
            self.sans, pdf.mono = "Sans", "Mono"
            self.text = str
        else:
            self.sans = "Helvetica"
            self.text = latin1

    def paragraph(self, value: str, *, size: float = BODY_SIZE, line: float = BODY_LINE,
                  bold: bool = False, color=INK, width: float = 0) -> None:
        pdf = self.pdf
        pdf.set_font(self.sans, "B" if bold else "", size=size)
        pdf.set_text_color(*color)
        pdf.multi_cell(width, line, self.text(value), align="L", new_x="LMARGIN",
                       new_y="NEXT")

    def section(self, heading: str) -> None:
        """A heading as the card draws it: small, bold, upper case, spaced, muted."""
        pdf = self.pdf
        if pdf.will_page_break(4 + 2 * BODY_LINE):  # never a heading alone at a page's foot
            pdf.add_page()
        pdf.ln(4)
        pdf.set_char_spacing(0.6)
        self.paragraph(heading.upper(), size=7.5, line=4, bold=True, color=MUTED)
        pdf.set_char_spacing(0)
        pdf.ln(1.5)

    def badges(self, labels: list[tuple[str, tuple]]) -> None:
        """Rounded pills in a wrapping row, like the card's .ticket-meta."""
        pdf = self.pdf
        pdf.set_font(self.sans, size=8)
        height, pad, gap = 5.6, 2.4, 1.8
        right = pdf.w - pdf.r_margin
        x, y = pdf.l_margin, pdf.get_y()
        for label, (fill, ink) in labels:
            text = self.text(label)
            width = pdf.get_string_width(text) + 2 * pad
            if x + width > right and x > pdf.l_margin:
                x, y = pdf.l_margin, y + height + gap
            pdf.set_fill_color(*fill)
            pdf.rect(x, y, width, height, style="F", round_corners=True,
                     corner_radius=height / 2)
            pdf.set_text_color(*ink)
            pdf.set_xy(x, y)
            pdf.cell(width, height, text, align="C")
            x += width + gap
        pdf.set_xy(pdf.l_margin, y + height)

    def user_story(self, value: str) -> None:
        """Set off on a tinted block with the primary color's bar, as on the card."""
        pdf = self.pdf
        pad = 3
        width = pdf.epw - 2 * pad - 1
        pdf.set_font(self.sans, size=BODY_SIZE)
        height = pdf.multi_cell(width, BODY_LINE, self.text(value), align="L", dry_run=True,
                                output="HEIGHT") + 2 * pad
        if pdf.will_page_break(height):
            pdf.add_page()
        top = pdf.get_y()
        pdf.set_fill_color(*SURFACE_2)
        pdf.rect(pdf.l_margin, top, pdf.epw, height, style="F")
        pdf.set_fill_color(*PRIMARY)
        pdf.rect(pdf.l_margin, top, 1, height, style="F")
        pdf.set_xy(pdf.l_margin + 1 + pad, top + pad)
        pdf.set_text_color(*INK)
        pdf.multi_cell(width, BODY_LINE, self.text(value), align="L", new_x="LMARGIN",
                       new_y="NEXT")
        pdf.set_y(top + height)

    def numbered(self, items: list[str]) -> None:
        pdf = self.pdf
        for number, item in enumerate(items, 1):
            pdf.set_font(self.sans, size=BODY_SIZE)
            pdf.set_text_color(*MUTED)
            pdf.cell(7, BODY_LINE, f"{number}.", align="R")
            pdf.set_x(pdf.l_margin + 9)
            self.paragraph(item, width=pdf.epw - 9)
            pdf.ln(0.8)

    def criteria(self, criteria: list[dict]) -> None:
        """Each criterion in a bordered box, its Given / When / Then labels in a column."""
        pdf = self.pdf
        pad = 3
        text_width = pdf.epw - 2 * pad - GWT_LABEL_WIDTH
        for criterion in criteria:
            # A checklist criterion (a template's style) is its outcome alone.
            rows = [(label, self.text(criterion[label.lower()]))
                    for label in ("Given", "When", "Then")
                    if label == "Then" or criterion[label.lower()]]
            pdf.set_font(self.sans, size=BODY_SIZE - 0.5)
            heights = [pdf.multi_cell(text_width, BODY_LINE, value, align="L", dry_run=True,
                                      output="HEIGHT") for _, value in rows]
            height = sum(heights) + 2 * pad + (len(rows) - 1)
            if pdf.will_page_break(height):
                pdf.add_page()
            top = pdf.get_y()
            pdf.set_draw_color(*BORDER)
            pdf.rect(pdf.l_margin, top, pdf.epw, height, round_corners=True, corner_radius=1.5)
            y = top + pad
            for (label, value), row_height in zip(rows, heights, strict=True):
                pdf.set_xy(pdf.l_margin + pad, y)
                pdf.set_char_spacing(0.4)
                pdf.set_font(self.sans, "B", size=7)
                pdf.set_text_color(*LINK)
                pdf.cell(GWT_LABEL_WIDTH, BODY_LINE, label.upper(), align="L")
                pdf.set_char_spacing(0)
                pdf.set_font(self.sans, size=BODY_SIZE - 0.5)
                pdf.set_text_color(*INK)
                pdf.multi_cell(text_width, BODY_LINE, value, align="L")
                y += row_height + 1
            pdf.set_xy(pdf.l_margin, top + height + 2)

    def ticket(self, ticket: Ticket) -> None:
        pdf = self.pdf
        kind = get_kind(ticket.ticket_type)
        pdf.add_page()
        # Set after add_page: the previous page's footer, written by add_page, names its own.
        pdf.public_id = ticket.public_id
        key = [ticket.public_id, kind.label, ticket.get_quality_display()]
        if ticket.is_offline:
            key.append("Offline generator")
        if ticket.quality_score is not None:
            key.append(f"Quality {ticket.quality_score}/100")
        pdf.set_font(pdf.mono, size=8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 4.5, self.text(" · ".join(key)), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        self.paragraph(ticket.title, size=17, line=7.6, bold=True, color=HEADING)
        pdf.ln(2.5)
        badges = []
        if ticket.priority:
            badges.append((f"{ticket.priority_label} priority",
                           BADGE.get(ticket.priority, PLAIN_BADGE)))
        badges += [(label, PLAIN_BADGE) for label in ticket.labels]
        if ticket.story_points:
            points = ticket.story_points
            badges.append((f"{points} story point{'s' if points != 1 else ''}", PLAIN_BADGE))
        if badges:
            self.badges(badges)
            pdf.ln(1)
        self.section("Summary")
        self.paragraph(ticket.summary)
        if ticket.user_story:
            self.section("User story")
            self.user_story(ticket.user_story)
        if kind.reproduction:
            self.section("Steps to reproduce")
            self.numbered(ticket.steps_to_reproduce)
            self.section("Expected behavior")
            self.paragraph(ticket.expected_behaviour)
            self.section("Actual behavior")
            self.paragraph(ticket.actual_behaviour)
        if ticket.acceptance_criteria:
            self.section("Acceptance criteria")
            self.criteria(ticket.acceptance_criteria)
        if ticket.technical_notes:
            self.section("Technical notes")
            self.paragraph(ticket.technical_notes)


def tickets_pdf(tickets: Iterable[Ticket]) -> bytes:
    """A PDF of the tickets, each from a new page, laid out like the ticket card."""
    writer = _TicketPdf()
    tickets = list(tickets)
    writer.pdf.set_title(tickets[0].title if len(tickets) == 1 else "MyBA tickets")
    for ticket in tickets:
        writer.ticket(ticket)
    if not tickets:
        writer.pdf.add_page()
    return bytes(writer.pdf.output())


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


def user_tickets_data(user) -> list[dict]:
    """Every ticket the user owns, for their data export (accounts.usage.exports)."""
    return [ticket_data(ticket) for ticket in
            Ticket.objects.filter(owner=user).order_by("created_at", "id").iterator()]
