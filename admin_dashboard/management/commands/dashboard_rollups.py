"""`manage.py dashboard_rollups rebuild|compact|check`: the overview's daily rollups.

* `rebuild` (the backfill): recompute every rollup from the raw tables, days in the current
  time zone. Run it after changing TIME_ZONE (until then the overview reads raw tables) or
  after loading rows with triggers disabled. Writes to tickets, the ledger and users wait
  while it runs (a few seconds per million rows).
* `compact`: what beat does every DASHBOARD_ROLLUP_COMPACT_SECONDS.
* `check`: compare the overview from the rollups with the raw computation for the preset
  ranges and the 366 days before today; exit 1 and print the differences if any.
"""

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from admin_dashboard import metrics
from admin_dashboard.periods import MAX_DAYS, PRESETS, Period, preset_period
from admin_dashboard.rollups import selectors
from admin_dashboard.rollups.services import compact_rollups, rebuild_rollups


def comparable(data: dict) -> dict:
    """What the overview shows, as plain values (figures, token rows, tables, charts)."""
    return {
        "figures": [(f.label, f.current, f.previous) for f in data["figures"]],
        "token_rows": [(f.label, f.current, f.previous) for f in data["token_rows"]],
        "by_type": data["by_type"],
        "revenue_days": data["revenue_days"],
        "charts": [repr(chart) for chart in data["charts"]],
    }


class Command(BaseCommand):
    help = "Rebuild, compact or check the staff overview's daily rollups."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "compact", "check"])

    def handle(self, *args, action, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The rollups need PostgreSQL (SQLite reads the raw tables).")
        if action == "rebuild":
            rebuild_rollups()
            self.stdout.write(f"dashboard rollups rebuilt ({timezone.get_current_timezone_name()})")
        elif action == "compact":
            self.stdout.write(f"dashboard rollups compacted: {compact_rollups()} rows folded")
        else:
            self._check()

    def _check(self):
        if not selectors.rollups_ready():
            raise CommandError("The rollups are not built for this time zone: run `rebuild`.")
        today = timezone.localdate()
        periods = [preset_period(key) for key in PRESETS]
        periods.append(Period("custom", today - timedelta(days=MAX_DAYS - 1), today))
        differ = 0
        for period in periods:
            rolled = comparable(metrics.overview(period, source=metrics.ROLLUPS))
            raw = comparable(metrics.overview(period, source=metrics.RAW))
            for key in raw:
                if rolled[key] != raw[key]:
                    differ += 1
                    self.stderr.write(f"{period.label} {key}: rollups {rolled[key]!r}")
                    self.stderr.write(f"{period.label} {key}: raw     {raw[key]!r}")
        if differ:
            self.stderr.write(self.style.ERROR(f"dashboard rollups: {differ} difference(s)"))
            sys.exit(1)
        self.stdout.write(f"dashboard rollups agree with the raw tables ({len(periods)} ranges)")
