"""A batch's results: a CSV of every row's outcome, and a ZIP of each finished ticket's export
in one of the ticket export formats (tickets/exports.py), and the download serving either."""

import csv
import io
import zipfile
from collections.abc import Iterable

from django.http import HttpResponse

from tickets.exports import EXPORT_FORMATS, _cell
from tickets.models import BatchRow, RowStatus

RESULT_COLUMNS = ["row", "status", "ticket", "title", "priority", "labels", "story_points",
                  "error"]


def row_labels(row: BatchRow) -> list[str]:
    """The generated ticket's labels followed by the ones the CSV asked for, once each."""
    labels = list(row.ticket.labels) if row.ticket is not None else []
    return labels + [label for label in row.labels if label not in labels]


def row_error(row: BatchRow) -> str:
    return "; ".join(row.errors) if row.errors else row.message


def results_csv(rows: Iterable[BatchRow]) -> str:
    """One line per CSV row: its number, state, ticket id and headline fields, or why it has
    no ticket. Cells are guarded against spreadsheet formulas as the ticket exports are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RESULT_COLUMNS)
    for row in rows:
        ticket = row.ticket if row.status == RowStatus.SUCCEEDED else None
        writer.writerow([_cell(value) for value in (
            row.number,
            row.status,
            row.ticket.public_id if row.ticket is not None else "",
            ticket.title if ticket else "",
            ticket.priority if ticket else "",
            " ".join(row_labels(row)) if ticket else " ".join(row.labels),
            ticket.story_points if ticket and ticket.story_points is not None else "",
            row_error(row),
        )])
    return buffer.getvalue()


def results_zip(rows: Iterable[BatchRow], *, fmt: str) -> bytes:
    """A ZIP holding `results.csv` and one file per succeeded row's ticket in the export
    format `fmt` (a key of EXPORT_FORMATS), named `row-<number>-<ticket id>.<extension>`."""
    export = EXPORT_FORMATS[fmt]
    rows = list(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("results.csv", results_csv(rows))
        for row in rows:
            if row.status != RowStatus.SUCCEEDED or row.ticket is None:
                continue
            name = f"row-{row.number:03d}-{row.ticket.public_id}.{export.extension}"
            archive.writestr(name, export.render([row.ticket]))
    return buffer.getvalue()


def results_response(batch, rows: Iterable[BatchRow], *, fmt: str) -> HttpResponse:
    """The results as a download: `csv`, one line per row; any ticket export key, a ZIP of
    the succeeded tickets in that format with the CSV (the page and the API serve this)."""
    basename = f"batch-{batch.public_id}-results"
    if fmt == "csv":
        response = HttpResponse(results_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{basename}.csv"'
        return response
    response = HttpResponse(results_zip(rows, fmt=fmt), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{fmt}.zip"'
    return response
