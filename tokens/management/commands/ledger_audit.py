"""`manage.py ledger_audit`: prove that stored balances agree with the ledger rows.

Exits 0 with a one-line summary when healthy; prints every mismatch and exits 1 otherwise,
so cron or CI can alert on it. Like the nightly task, it stores its result, so the staff
dashboard's Health page shows the latest run whoever started it.
"""

import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from tokens.selectors import find_balance_mismatches
from tokens.services import record_ledger_audit


class Command(BaseCommand):
    help = (
        "Check every token account: balance = sum of entries, held = sum of pending holds, "
        "lot remainders = credits - consumptions, daily spend tallies = spend entries. "
        "Exit 1 on any mismatch."
    )

    def handle(self, *args, **options):
        started_at = timezone.now()
        mismatches = find_balance_mismatches()
        run = record_ledger_audit(started_at=started_at, mismatches=mismatches)
        if mismatches:
            for mismatch in mismatches:
                self.stderr.write(f"MISMATCH {mismatch}")
            self.stderr.write(self.style.ERROR(f"ledger_audit: {len(mismatches)} mismatch(es)."))
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"ledger_audit: OK — {run.accounts_checked} accounts, "
                f"{run.entries_checked} entries, no mismatches."
            )
        )
