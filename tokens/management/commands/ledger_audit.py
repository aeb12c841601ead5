"""`manage.py ledger_audit`: prove that stored balances agree with the ledger rows.

Exits 0 with a one-line summary when healthy; prints every mismatch and exits 1 otherwise,
so cron or CI can alert on it.
"""

import sys

from django.core.management.base import BaseCommand

from tokens.models import LedgerEntry, TokenAccount
from tokens.selectors import find_balance_mismatches


class Command(BaseCommand):
    help = (
        "Check every token account: balance = sum of entries, held = sum of pending holds, "
        "lot remainders = credits - consumptions. Exit 1 on any mismatch."
    )

    def handle(self, *args, **options):
        mismatches = find_balance_mismatches()
        if mismatches:
            for mismatch in mismatches:
                self.stderr.write(f"MISMATCH {mismatch}")
            self.stderr.write(self.style.ERROR(f"ledger_audit: {len(mismatches)} mismatch(es)."))
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"ledger_audit: OK — {TokenAccount.objects.count()} accounts, "
                f"{LedgerEntry.objects.count()} entries, no mismatches."
            )
        )
