"""Recording `ledger_audit` results so staff see the last one on the dashboard."""

from datetime import datetime

from django.utils import timezone

from tokens.models import LedgerAuditRun, LedgerEntry, TokenAccount
from tokens.selectors import find_balance_mismatches

# Enough to diagnose; a badly broken ledger would otherwise store megabytes per night.
MAX_STORED_MISMATCHES = 200


def run_ledger_audit() -> LedgerAuditRun:
    """Audit every account (see `find_balance_mismatches`) and store the result.

    Writes one `LedgerAuditRun` row; locks nothing (the audit reads a consistent snapshot
    per statement, and a run that races a write reports it again the next night if real).
    """
    started_at = timezone.now()
    return record_ledger_audit(started_at=started_at, mismatches=find_balance_mismatches())


def record_ledger_audit(*, started_at: datetime, mismatches: list) -> LedgerAuditRun:
    """Store the result of an audit that began at `started_at` and found `mismatches` (the
    first MAX_STORED_MISMATCHES are kept). Writes one `LedgerAuditRun` row, locks nothing."""
    return LedgerAuditRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        ok=not mismatches,
        accounts_checked=TokenAccount.objects.count(),
        entries_checked=LedgerEntry.objects.count(),
        mismatches=[str(mismatch) for mismatch in mismatches[:MAX_STORED_MISMATCHES]],
    )
