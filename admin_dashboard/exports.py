"""CSV export of any dashboard table: the same view with `?format=csv`."""

import csv

from django.http import StreamingHttpResponse


class _Echo:
    def write(self, value):
        return value


def wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _safe(value):
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    lines = (writer.writerow([_safe(v) for v in row]) for row in rows)
    response = StreamingHttpResponse(
        (line for part in ([writer.writerow(header)], lines) for line in part),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
