"""The usage exports: the filtered history as CSV (streamed), a month's statement as PDF, and
everything a user has with us as JSON (data portability).

CSV columns (stable; README "Usage exports"): created_at (ISO 8601, UTC), kind (the ledger
entry kind), category (spent, bought, granted, refunded, expired or empty), amount (signed
tokens), balance_after, feature (feature key of a spend), description (the movement in
words), paid_from (which tokens a debit used, "Welcome bonus 1; Purchased 2"), reference_id
(the public id of the ticket or purchase), link (its page).
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from config.pdf import latin1, pdf_fonts
from tokens.selectors.usage import Movement, Statement

CSV_COLUMNS = ("created_at", "kind", "category", "amount", "balance_after", "feature",
               "description", "paid_from", "reference_id", "link")
# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(…)").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character is quoted away."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


class _Line:
    """A file-like object that hands back what csv.writer wrote (one row at a time)."""

    def write(self, value: str) -> str:
        return value


def csv_rows(movements: Iterable[Movement], *, site: str) -> Iterator[str]:
    """The CSV export, a line at a time (for a streaming response: constant memory); links
    are made absolute with `site` ("https://myba.example")."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for movement in movements:
        described = movement.described
        yield writer.writerow((
            movement.created_at.astimezone(UTC).isoformat(timespec="seconds"),
            movement.kind,
            movement.category,
            movement.amount,
            movement.balance_after,
            safe_cell(movement.feature_key),
            safe_cell(movement.title),
            safe_cell("; ".join(f"{label} {tokens}" for label, tokens in movement.paid_from)),
            safe_cell(described.public_id if described else ""),
            site + described.url if described and described.url else "",
        ))


# --- the monthly statement --------------------------------------------------------------------

INK, MUTED, BORDER = (22, 26, 38), (91, 98, 117), (226, 229, 238)


def statement_pdf(statement: Statement, *, owner: str) -> bytes:
    """The statement as an A4 PDF: opening balance, every movement with the balance after it,
    the month's credits and debits, and the closing balance (which the opening balance and
    the movements add up to; a statement that does not is refused before this)."""
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_creator("MyBA")
    faces = pdf_fonts()
    if faces:
        pdf.add_font("Sans", "", faces[0])
        pdf.add_font("Sans", "B", faces[1])
        sans, text = "Sans", str
    else:
        sans, text = "Helvetica", latin1
    month = date_format(statement.month, "F Y")
    pdf.set_title(_("MyBA token statement, %(month)s") % {"month": month})
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font(sans, "B", 16)
    pdf.cell(0, 9, text(_("Token statement · %(month)s") % {"month": month}),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(sans, "", 9)
    pdf.set_text_color(*MUTED)
    made = date_format(timezone.localtime(), "d M Y H:i")
    pdf.cell(0, 5, text(_("%(owner)s · made %(made)s") % {"owner": owner, "made": made}),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(*INK)
    pdf.set_font(sans, "", 10)
    # (label, value, signed)
    summary = ((_("Opening balance"), statement.opening, False),
               (_("Credits"), statement.credits, True),
               (_("Debits"), statement.debits, True),
               (_("Closing balance"), statement.closing, False))
    with pdf.table(col_widths=(60, 30), width=90, align="LEFT", first_row_as_headings=False,
                   borders_layout="HORIZONTAL_LINES", line_height=6) as table:
        for label, value, signed in summary:
            row = table.row()
            row.cell(text(label))
            row.cell(f"{value:+,}" if signed else f"{value:,}", align="RIGHT")
    pdf.ln(6)
    pdf.set_font(sans, "", 8.5)
    if not statement.movements:
        pdf.cell(0, 6, text(_("No movements this month.")), new_x="LMARGIN", new_y="NEXT")
    else:
        with pdf.table(col_widths=(24, 100, 24, 26), borders_layout="HORIZONTAL_LINES",
                       line_height=5, text_align=("LEFT", "LEFT", "RIGHT", "RIGHT")) as table:
            heading = table.row()
            for label in (_("Date"), _("Movement"), _("Tokens"), _("Balance")):
                heading.cell(text(label))
            for movement in statement.movements:
                row = table.row()
                row.cell(text(date_format(timezone.localtime(movement.created_at), "d M H:i")))
                detail = movement.title
                if movement.feature_label and movement.kind == "spend":
                    detail += f" · {movement.feature_label}"
                if movement.paid_from_text:
                    detail += f" · {movement.paid_from_text}"
                row.cell(text(detail))
                row.cell(f"{movement.amount:+,}")
                row.cell(f"{movement.balance_after:,}")
    pdf.ln(4)
    pdf.set_font(sans, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, text(
        _("Opening balance %(opening)s + credits %(credits)s - debits %(debits)s = closing "
          "balance %(closing)s, as recorded in the ledger.") % {
            "opening": f"{statement.opening:,}", "credits": f"{statement.credits:,}",
            "debits": f"{-statement.debits:,}", "closing": f"{statement.closing:,}"}),
        new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- all of a user's data ----------------------------------------------------------------------

# name -> function(user) -> JSON-able data; each app registers its own part (tickets,
# purchases) from `AppConfig.ready`, so accounts imports none of them.
_DATA_SECTIONS: dict[str, Callable] = {}


def register_data_section(name: str, export: Callable) -> None:
    _DATA_SECTIONS[name] = export


def user_data_json(user, *, sections: dict[str, object]) -> str:
    """Everything the user has with us as one JSON document: `sections` (the account's own:
    profile, settings, ledger) and every registered app's section."""
    data = {"format": "myba-user-data/1", "exported_at": timezone.now(), **sections}
    for name, export in sorted(_DATA_SECTIONS.items()):
        data[name] = export(user)
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
