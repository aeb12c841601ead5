"""Writes to the rollups: the backfill (a full rebuild) and the compaction beat runs."""

import logging

from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

ROLLUP_TABLES = (
    "admin_dashboard_ticketday",
    "admin_dashboard_latencyday",
    "admin_dashboard_entryday",
    "admin_dashboard_activeday",
    "admin_dashboard_spenderday",
    "admin_dashboard_signupday",
    "admin_dashboard_visitorday",
)

# Rebuilt from the source tables, days in the time zone %(tz)s.
_REBUILD = [
    """INSERT INTO admin_dashboard_ticketday (day, ticket_type, quality, status, tickets)
       SELECT (created_at AT TIME ZONE %(tz)s)::date, ticket_type, quality, status, count(*)
       FROM tickets_ticket GROUP BY 1, 2, 3, 4""",
    """INSERT INTO admin_dashboard_latencyday (day, bucket, tickets)
       SELECT (created_at AT TIME ZONE %(tz)s)::date,
              dashboard_latency_bucket(finished_at - created_at), count(*)
       FROM tickets_ticket WHERE status = 'succeeded' AND finished_at IS NOT NULL
       GROUP BY 1, 2""",
    """INSERT INTO admin_dashboard_entryday (day, kind, credited, debited)
       SELECT (created_at AT TIME ZONE %(tz)s)::date, kind,
              coalesce(sum(amount) FILTER (WHERE amount > 0), 0),
              coalesce(sum(amount) FILTER (WHERE amount < 0), 0)
       FROM tokens_ledgerentry GROUP BY 1, 2""",
    """INSERT INTO admin_dashboard_spenderday (account_id, day, prev_day)
       SELECT account_id, day,
              coalesce(lag(day) OVER (PARTITION BY account_id ORDER BY day), DATE '0001-01-01')
       FROM (SELECT DISTINCT account_id, (created_at AT TIME ZONE %(tz)s)::date AS day
             FROM tokens_ledgerentry WHERE kind = 'spend') AS spend_days""",
    """INSERT INTO admin_dashboard_activeday (day, prev_day, accounts)
       SELECT s.day, s.prev_day, count(*)
       FROM admin_dashboard_spenderday s
       JOIN accounts_user u ON u.token_account_id = s.account_id
       GROUP BY 1, 2""",
    """INSERT INTO admin_dashboard_signupday (day, users)
       SELECT (date_joined AT TIME ZONE %(tz)s)::date, count(*) FROM accounts_user GROUP BY 1""",
    """INSERT INTO admin_dashboard_visitorday (day, visitors)
       SELECT (v.created_at AT TIME ZONE %(tz)s)::date, count(*)
       FROM accounts_anonymousvisitor v LEFT JOIN accounts_user u ON u.id = v.merged_into_id
       WHERE v.merged_into_id IS NULL OR u.date_joined > v.created_at
       GROUP BY 1""",
]


def rebuild_rollups(*, time_zone: str | None = None) -> None:
    """Rebuild every rollup table from the raw tables, days in `time_zone` (default: the
    current one), and record it in `RollupState`.

    Writes: all rollup tables and the state row, in one transaction. Locks: the four source
    tables in SHARE mode, so writes to them wait (a few seconds at a million entries) and no
    change can fall between the rebuild and the triggers that follow it. Idempotent.
    PostgreSQL only.
    """
    tz = time_zone or timezone.get_current_timezone_name()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "LOCK TABLE tickets_ticket, tokens_ledgerentry, accounts_user,"
            " accounts_anonymousvisitor IN SHARE MODE"
        )
        cursor.execute(f"TRUNCATE {', '.join(ROLLUP_TABLES)}")
        for statement in _REBUILD:
            cursor.execute(statement, {"tz": tz})
        cursor.execute(
            """INSERT INTO admin_dashboard_rollupstate (id, time_zone, built_at)
               VALUES (1, %s, now())
               ON CONFLICT (id) DO UPDATE SET time_zone = EXCLUDED.time_zone,
                                              built_at = EXCLUDED.built_at""",
            [tz],
        )
    logger.info("dashboard rollups rebuilt (time zone %s)", tz)


# Each key's delta rows summed into one row (none when the sum is zero).
_COMPACT = {
    "admin_dashboard_ticketday": (("day", "ticket_type", "quality", "status"), ("tickets",)),
    "admin_dashboard_latencyday": (("day", "bucket"), ("tickets",)),
    "admin_dashboard_entryday": (("day", "kind"), ("credited", "debited")),
    "admin_dashboard_activeday": (("day", "prev_day"), ("accounts",)),
    "admin_dashboard_signupday": (("day",), ("users",)),
    "admin_dashboard_visitorday": (("day",), ("visitors",)),
}


def _compact_sql(table: str, keys: tuple, values: tuple) -> str:
    key_list, value_list = ", ".join(keys), ", ".join(values)
    sums = ", ".join(f"sum({v})" for v in values)
    all_zero = " AND ".join(f"sum({v}) = 0" for v in values)
    # Table and column names are the constants above, never input.
    return f"""
        WITH gone AS (
          DELETE FROM {table}
          WHERE ({key_list}) IN (
            SELECT {key_list} FROM {table} GROUP BY {key_list}
            HAVING count(*) > 1 OR ({all_zero})
          )
          RETURNING {key_list}, {value_list}
        ), kept AS (
          INSERT INTO {table} ({key_list}, {value_list})
          SELECT {key_list}, {sums} FROM gone GROUP BY {key_list} HAVING NOT ({all_zero})
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)
    """  # noqa: S608


def compact_rollups() -> int:
    """Fold each key's delta rows into one row, so reads stay a few hundred rows.

    Writes: the delta tables (deletes a key's rows and inserts their sum in one statement, so
    a reader sees either all the deltas or their sum, never a mix). Locks: a transaction-level
    advisory lock, so two compactions never run at once; writers are never blocked (their new
    rows are simply left for the next run). Returns the rows removed, 0 when another
    compaction holds the lock or on SQLite.
    """
    if connection.vendor != "postgresql":
        return 0
    removed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(722023)")
        if not cursor.fetchone()[0]:
            return 0
        for table, (keys, values) in _COMPACT.items():
            cursor.execute(_compact_sql(table, keys, values))
            removed += cursor.fetchone()[0]
    return removed
