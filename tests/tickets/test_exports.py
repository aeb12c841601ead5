"""Exports name a ticket by its public id, and the PDF reads like the ticket card: left-aligned
text, the card's sections, the public id and page numbers on every page."""

import csv
import io
import json

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.builders import DESCRIPTION
from tickets.exports import (
    EXPORT_FORMATS,
    ticket_markdown,
    tickets_jira_csv,
    tickets_json,
    tickets_pdf,
)
from tickets.models import Ticket

from .fake_openrouter import ticket_json

# A database id that cannot occur by chance in an export's text.
PK = 987_654


def finished(kind: str = "story", *, pk: int = PK, public_id: str = "a7k2m9q4xz", **fields):
    """An unsaved finished ticket (exports are pure functions of the row)."""
    content = {**ticket_json(kind), **fields}
    content.pop("type")
    return Ticket(pk=pk, public_id=public_id, ticket_type=kind, quality="standard",
                  status="succeeded", generator="offline", description=DESCRIPTION,
                  created_at=timezone.now(), **content)


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_every_export_names_the_ticket_by_its_public_id_not_its_database_id():
    ticket = finished()
    outputs = {key: export.render([ticket]) for key, export in EXPORT_FORMATS.items()}
    assert f"**ID:** `{ticket.public_id}`" in outputs["md"]
    assert json.loads(outputs["json"])["tickets"][0]["id"] == ticket.public_id
    rows = list(csv.reader(io.StringIO(outputs["csv"])))
    assert dict(zip(rows[0], rows[1], strict=True))["MyBA ID"] == ticket.public_id
    assert ticket.public_id in "".join(pdf_text(outputs["pdf"]))
    outputs["pdf"] = "".join(pdf_text(outputs["pdf"]))
    for key, text in outputs.items():
        assert str(PK) not in text, key


def test_exports_spell_headings_in_us_english():
    bug = finished("bug")
    for text in (ticket_markdown(bug), tickets_jira_csv([bug]), "".join(pdf_text(
            tickets_pdf([bug])))):
        assert "behaviour" not in text.lower()
    assert "## Expected behavior" in ticket_markdown(bug)
    assert "EXPECTED BEHAVIOR" in pdf_text(tickets_pdf([bug]))[0]
    assert json.loads(tickets_json([bug]))["tickets"][0]["expected_behaviour"]  # a field name


def test_the_pdf_numbers_its_pages_and_names_each_pages_ticket():
    long_bug = finished("bug", pk=PK + 1, public_id="k9m2p4q7rs",
                        acceptance_criteria=[{"given": "a changed address", "when": "I save",
                                              "then": "it is kept"}] * 25)
    pages = pdf_text(tickets_pdf([finished(), long_bug]))
    assert len(pages) >= 3  # the story, then the bug over two pages or more
    total = len(pages)
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {total}" in text
        assert ("MyBA · a7k2m9q4xz" in text) == (number == 1), number
        assert ("MyBA · k9m2p4q7rs" in text) == (number > 1), number


def test_the_pdf_follows_the_card_and_never_stretches_a_line():
    """The card's order (id line, title, badges, sections), and no justified lines: fpdf2
    justifies with per-word spacing (TJ arrays, Tw), which left the old headings with wide
    gaps between words."""
    story = finished(title="Customers download their invoices as PDF from the billing page, "
                           "with every line, tax and total their accountant needs to file them")
    data = tickets_pdf([story])
    text = pdf_text(data)[0]
    order = [text.index(part) for part in (
        "a7k2m9q4xz · Story · Standard · Offline generator", "Customers download",
        "Medium priority", "SUMMARY", "USER STORY", "ACCEPTANCE CRITERIA", "GIVEN",
    )]
    assert order == sorted(order)
    page = PdfReader(io.BytesIO(data)).pages[0]
    operators = {op for _, op in ContentStream(page.get_contents(), page.pdf).operations}
    assert b"Tj" in operators
    assert not {b"TJ", b"Tw"} & operators


@pytest.mark.parametrize("kind", ["bug", "feature", "task", "story"])
def test_every_kind_makes_a_pdf_with_its_sections(kind):
    text = pdf_text(tickets_pdf([finished(kind)]))[0]
    assert "SUMMARY" in text and "Page 1 of 1" in text
    assert ("STEPS TO REPRODUCE" in text) == (kind == "bug")
