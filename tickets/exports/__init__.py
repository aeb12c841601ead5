"""Exports of finished tickets: Markdown, JSON, Jira CSV and PDF, and the registry of them.

Pure functions of ticket rows; the views decide who may export what. Which sections a ticket
has, its type's name and its Jira issue type come from its kind (tickets/kinds.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from tickets.exports.pdf import tickets_pdf
from tickets.exports.text import (
    JIRA_COLUMNS,
    _cell,
    children_of,
    ticket_data,
    ticket_markdown,
    tickets_jira_csv,
    tickets_json,
    tickets_markdown,
)
from tickets.models import Ticket

__all__ = ["EXPORT_FORMATS", "JIRA_COLUMNS", "ExportFormat", "_cell", "children_of",
           "ticket_data", "ticket_markdown", "tickets_jira_csv", "tickets_json",
           "tickets_markdown", "tickets_pdf", "user_tickets_data"]


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
