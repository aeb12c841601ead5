"""Daily rollups behind the staff overview, exact against the raw tables.

How they stay exact:

* PostgreSQL triggers on `tickets_ticket`, `tokens_ledgerentry`, `accounts_user` and
  `accounts_anonymousvisitor` write a
  signed delta row in the same transaction as every insert, update or delete that changes a
  figure: a late finish, a status change, a backdated row, a deleted user's tickets. Nothing
  depends on a day being "closed", so today and every past day are always current, and a
  rolled-back write rolls back its delta. Deltas are appended, never updated in place, so
  writers never queue on a hot counter row.
* Days are local days in the time zone recorded in `RollupState` when they were built, the
  one `TruncDate` uses on the raw tables; another current time zone falls back to raw.
* Distinct spenders and latency percentiles are not additive over days: see `ActiveDay` and
  `LatencyDay` in `admin_dashboard.models`.
* A new visitor stops being new when merged into an older account: the visitor trigger and
  the user trigger (a join date changing) move the count.
* Purchases are read from their table (one per paying customer, not per request).

`sql` holds the trigger functions, `services` the backfill and the compaction, `selectors`
the reads. SQLite (the zero-setup run) has no triggers: the overview reads raw tables there.
"""
