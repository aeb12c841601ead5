"""Batch generation from a CSV: parse and preview, confirm, run rows with bounded
concurrency, follow each row's ticket, export the results."""

from django.conf import settings

MAX_FILE_BYTES = 1024 * 1024


def max_rows() -> int:
    """Rows one batch may hold (setting BATCH_MAX_ROWS)."""
    return settings.BATCH_MAX_ROWS


def concurrency() -> int:
    """Rows of one batch generating at the same time (setting BATCH_CONCURRENCY)."""
    return max(1, settings.BATCH_CONCURRENCY)
