"""Reading an uploaded CSV into rows, each checked by the generator form's own rules.

Pure: bytes in, rows and their messages out. A problem with the whole file raises
`BatchInvalid`; a problem with one row stays with that row so the rest can still run.
"""

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.batches import MAX_FILE_BYTES, max_rows
from tickets.forms import GenerateForm
from tickets.kinds import get_kind
from tickets.providers.schema import LABEL_MAX, LABELS_MAX

REQUIRED_COLUMNS = ("description", "type", "quality")
OPTIONAL_COLUMNS = ("product_area", "tech_stack", "labels")
# Other names people give a column, for the column they mean.
COLUMN_ALIASES = {"context": "tech_stack", "ticket_type": "type", "product area": "product_area",
                  "tech stack": "tech_stack"}
# The form's field for each column, and the column named in a row's messages.
FORM_FIELDS = {"description": "description", "type": "ticket_type", "quality": "quality",
               "product_area": "product_area", "tech_stack": "tech_stack"}
COLUMN_FOR_FIELD = {form_field: column for column, form_field in FORM_FIELDS.items()}

SAMPLE_CSV = (
    "description,type,quality,product_area,tech_stack,labels\n"
    '"Customers need to download invoices as PDF so that their accountant can file them.",'
    "story,standard,Billing,Django,billing;export\n"
    '"When I click Save on the profile page nothing happens; it should save my address.",'
    "bug,standard,Accounts,,profile\n"
    '"Support agents need to search conversations by customer email to answer faster.",'
    "task,standard,Support,PostgreSQL,\n"
)


class BatchInvalid(Exception):
    """The file as a whole cannot be read as a batch; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ParsedRow:
    number: int  # 1: the first row under the header
    description: str = ""
    ticket_type: str = ""
    quality: str = ""
    product_area: str = ""
    tech_stack: str = ""
    labels: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


class BatchRowForm(GenerateForm):
    """The generator form without what only a browser's submit carries (its one-time nonce,
    the confirmation, the clarifying questions): the same rules for what is asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("nonce", "confirmed", "clarified", "clarifications", "max_children"):
            del self.fields[name]

    def clean_ticket_type(self):
        ticket_type = self.cleaned_data["ticket_type"]
        if get_kind(ticket_type).epic:
            raise forms.ValidationError(
                _("An epic splits into stories, so it is made on its own: use the generator or "
                  "POST /api/v1/tickets with type epic."))
        return ticket_type


def parse_batch_csv(data: bytes) -> list[ParsedRow]:
    """The rows of an uploaded CSV, each validated; raises BatchInvalid for the file."""
    if len(data) > MAX_FILE_BYTES:
        raise BatchInvalid(_("The file is %(size)s MB; the limit is 1 MB. Split it into smaller "
                             "files.") % {"size": f"{len(data) / 1024 / 1024:.1f}"})
    text = _decode(data)
    if not text.strip():
        raise BatchInvalid(_("The file is empty. Add a header row and one row per ticket."))
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise BatchInvalid(_("This is not a CSV file we can read (%(error)s). Save it as CSV "
                             "(comma-separated, UTF-8).") % {"error": error}) from None
    header = [_column(name) for name in records[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        found = ", ".join(filter(None, header)) or _("nothing")
        raise BatchInvalid(ngettext(
            "The header row needs the column %(columns)s (found: %(found)s). Download the "
            "sample CSV to see the layout.",
            "The header row needs the columns %(columns)s (found: %(found)s). Download the "
            "sample CSV to see the layout.", len(missing))
            % {"columns": ", ".join(missing), "found": found})
    records = [record for record in records[1:] if any(cell.strip() for cell in record)]
    if not records:
        raise BatchInvalid(_("The file has a header but no rows: add one row per ticket."))
    limit = max_rows()
    if len(records) > limit:
        raise BatchInvalid(_("The file has %(count)s rows; a batch takes at most %(limit)s. "
                             "Split it into several files.")
                           % {"count": len(records), "limit": limit})
    return [_parse_row(number, header, record) for number, record in enumerate(records, 1)]


def _decode(data: bytes) -> str:
    try:
        # utf-8-sig also reads plain UTF-8: it only drops the byte-order mark Excel writes.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInvalid(_("This is not a UTF-8 CSV file. In your spreadsheet, save it as "
                             "“CSV UTF-8 (comma-delimited)”.")) from None
    if "\x00" in text:
        raise BatchInvalid(_("This is not a CSV file (it contains binary data). Save your "
                             "spreadsheet as CSV."))
    return text


def _column(name: str) -> str:
    name = name.strip().lower()
    return COLUMN_ALIASES.get(name, name.replace(" ", "_"))


def _parse_row(number: int, header: list[str], record: list[str]) -> ParsedRow:
    cells = {column: (record[index] if index < len(record) else "").strip()
             for index, column in enumerate(header) if column}
    row = ParsedRow(number=number, labels=[
        label.strip() for label in cells.get("labels", "").split(";") if label.strip()])
    if len(record) > len(header):
        row.errors.append(_("This row has %(cells)s cells but the header has %(columns)s "
                            "columns: quote cells that contain commas.")
                          % {"cells": len(record), "columns": len(header)})
    form = BatchRowForm(data={
        "description": cells.get("description", ""),
        "ticket_type": cells.get("type", "").lower(),
        "quality": cells.get("quality", "").lower(),
        "product_area": cells.get("product_area", ""),
        "tech_stack": cells.get("tech_stack", ""),
    })
    if form.is_valid():
        row.description = form.cleaned_data["description"].strip()
        for name in ("ticket_type", "quality", "product_area", "tech_stack"):
            setattr(row, name, form.cleaned_data[name])
    else:
        row.description = cells.get("description", "")
        row.ticket_type = cells.get("type", "").lower()[:32]
        row.quality = cells.get("quality", "").lower()[:16]
        row.product_area = cells.get("product_area", "")[:100]
        row.tech_stack = cells.get("tech_stack", "")[:200]
        for form_field, messages in form.errors.items():
            column = COLUMN_FOR_FIELD.get(form_field, form_field)
            row.errors += [f"{column}: {message}" for message in messages]
    if len(row.labels) > LABELS_MAX:
        row.errors.append(_("labels: at most %(max)s labels (this row has %(count)s).")
                          % {"max": LABELS_MAX, "count": len(row.labels)})
    long_labels = [label for label in row.labels if len(label) > LABEL_MAX]
    if long_labels:
        row.errors.append(_("labels: keep each label under %(max)s characters (“%(label)s…” "
                            "is longer).") % {"max": LABEL_MAX, "label": long_labels[0][:20]})
    return row
