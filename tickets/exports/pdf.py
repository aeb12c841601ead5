"""The PDF export: the ticket card on paper, an epic's stories each from a new page after it."""

import logging
from collections.abc import Iterable

from fpdf import FPDF

from config.pdf import latin1, pdf_fonts
from tickets.exports.text import EPIC_SECTIONS, children_of
from tickets.kinds import get_kind
from tickets.models import Ticket

# fontTools logs every font subset it makes at INFO: dozens of lines per PDF in the site's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

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
        if ticket.parent_id:
            key.append(f"#{ticket.position} of {ticket.parent.public_id}")
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
        self.section("Goal" if kind.epic else "Summary")
        self.paragraph(ticket.summary)
        for field, heading in EPIC_SECTIONS:
            if getattr(ticket, field):
                self.section(heading)
                self.numbered(getattr(ticket, field))
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
        for child in children_of(ticket):
            self.ticket(child)


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


