"""The overview's figures read from the rollups: the same values, the same shapes as the raw
selectors they replace (`tickets`, `tokens` and `accounts` selectors), a few hundred rows
whatever the traffic.

Every function takes the raw selectors' window (`start`, `end`, `prev_start`: local
midnights, as a `Period` gives them) and reads days: [prev_first, first) is the period
before, [first, last] the range.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from admin_dashboard.models import (
    ActiveDay,
    EntryDay,
    LatencyDay,
    RollupState,
    SignupDay,
    TicketDay,
    VisitorDay,
)


@dataclass(frozen=True)
class Days:
    prev_first: date
    first: date
    last: date

    @classmethod
    def of(cls, *, start: datetime, end: datetime, prev_start: datetime) -> "Days":
        local = [timezone.localtime(moment) for moment in (prev_start, start, end)]
        if any(moment.timetz().replace(tzinfo=None) != datetime.min.time() for moment in local):
            raise ValueError("rollups answer whole local days only")
        return cls(local[0].date(), local[1].date(), local[2].date() - timedelta(days=1))


def rollups_ready() -> bool:
    """Whether the rollups can answer: PostgreSQL (the triggers), `DASHBOARD_ROLLUPS` on, and
    built in the current time zone (the days `TruncDate` would group by)."""
    if connection.vendor != "postgresql" or not settings.DASHBOARD_ROLLUPS:
        return False
    state = RollupState.objects.filter(pk=1).values_list("time_zone", flat=True).first()
    return state == timezone.get_current_timezone_name()


def ticket_rows(*, start, end, prev_start) -> list[dict]:
    """Tickets per day, type, quality and status over both periods: the rows
    `tickets.selectors.fold_ticket_counts` folds."""
    days = Days.of(start=start, end=end, prev_start=prev_start)
    return list(
        TicketDay.objects.filter(day__gte=days.prev_first, day__lte=days.last)
        .values("day", "ticket_type", "quality", "status")
        .annotate(n=Sum("tickets"))
        .exclude(n=0)
        .order_by()
    )


def sum_entries_by_day_and_kind(*, start, end) -> list[dict]:
    """As `tokens.selectors.sum_entries_by_day_and_kind` (start and end local midnights)."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end).date() - timedelta(days=1)
    return list(
        EntryDay.objects.filter(day__gte=first, day__lte=last)
        .values("day", "kind")
        .annotate(credited=Sum("credited"), debited=Sum("debited"))
        .exclude(credited=0, debited=0)
        .order_by("day", "kind")
    )


def count_active_users(*, start, end, prev_start) -> tuple[int, int]:
    """As `accounts.selectors.count_active_users`: each account is counted on its first spend
    day of a period, the one whose previous spend day is before the period."""
    days = Days.of(start=start, end=end, prev_start=prev_start)
    totals = ActiveDay.objects.filter(day__gte=days.prev_first, day__lte=days.last).aggregate(
        current=Sum("accounts", filter=Q(day__gte=days.first, prev_day__lt=days.first)),
        previous=Sum("accounts", filter=Q(day__lt=days.first, prev_day__lt=days.prev_first)),
    )
    return totals["current"] or 0, totals["previous"] or 0


def count_signups(*, start, end, prev_start) -> tuple[int, int]:
    days = Days.of(start=start, end=end, prev_start=prev_start)
    totals = SignupDay.objects.filter(day__gte=days.prev_first, day__lte=days.last).aggregate(
        current=Sum("users", filter=Q(day__gte=days.first)),
        previous=Sum("users", filter=Q(day__lt=days.first)),
    )
    return totals["current"] or 0, totals["previous"] or 0


def count_visitors(*, start, end, prev_start) -> tuple[int, int]:
    """As `accounts.selectors.count_visitors`."""
    days = Days.of(start=start, end=end, prev_start=prev_start)
    totals = VisitorDay.objects.filter(day__gte=days.prev_first, day__lte=days.last).aggregate(
        current=Sum("visitors", filter=Q(day__gte=days.first)),
        previous=Sum("visitors", filter=Q(day__lt=days.first)),
    )
    return totals["current"] or 0, totals["previous"] or 0


def signups_by_day(*, start, end) -> list[dict]:
    first = timezone.localtime(start).date()
    last = timezone.localtime(end).date() - timedelta(days=1)
    return list(
        SignupDay.objects.filter(day__gte=first, day__lte=last)
        .values("day")
        .annotate(count=Sum("users"))
        .exclude(count=0)
        .order_by("day")
    )


# One bucket's succeeded tickets of one period, sorted as percentile_cont sorts them; the
# partial index `dashboard_ticket_latency` reads exactly these rows.
_BUCKET_VALUES = """
(SELECT %s AS lookup, ms FROM (
   SELECT (EXTRACT(EPOCH FROM (finished_at - created_at)) * 1000)::float8 AS ms
   FROM tickets_ticket
   WHERE status = 'succeeded' AND finished_at IS NOT NULL
     AND dashboard_latency_bucket(finished_at - created_at) = %s
     AND created_at >= %s AND created_at < %s
 ) AS bucket ORDER BY ms OFFSET %s LIMIT %s)
"""
FRACTIONS = {"p50": 0.5, "p95": 0.95}


def _locate(counts: list[tuple[int, int]], rank: int) -> tuple[int, int]:
    """(bucket, offset in it) of the 0-based `rank` over buckets in ascending order."""
    for bucket, n in counts:
        if rank < n:
            return bucket, rank
        rank -= n
    raise ValueError("rank beyond the histogram")


def latency_percentiles(*, start, end, prev_start) -> dict:
    """As `tickets.selectors.latency_percentiles`, exactly: the per-day histogram says which
    bucket holds each rank percentile_cont interpolates between, then only that bucket's
    tickets of the period are read and sorted, and the two values interpolated the way
    PostgreSQL does (`lo + (hi - lo) * fraction`, in double precision)."""
    days = Days.of(start=start, end=end, prev_start=prev_start)
    rows = (
        LatencyDay.objects.filter(day__gte=days.prev_first, day__lte=days.last)
        .values("bucket")
        .annotate(
            current=Sum("tickets", filter=Q(day__gte=days.first)),
            previous=Sum("tickets", filter=Q(day__lt=days.first)),
        )
        .order_by("bucket")
    )
    periods = {"current": (start, end), "previous": (prev_start, start)}
    counts = {name: [] for name in periods}
    for row in rows:
        for name in periods:
            if row[name]:
                counts[name].append((row["bucket"], row[name]))
    wanted: dict[tuple[str, int], list[int]] = {}  # (period, bucket) -> offsets
    plans: dict[str, dict] = {}
    for name, buckets in counts.items():
        total = sum(n for _, n in buckets)
        plans[name] = {}
        for key, fraction in FRACTIONS.items():
            if not total:
                continue
            position = fraction * (total - 1)
            ranks = (math.floor(position), math.ceil(position))
            located = [_locate(buckets, rank) for rank in ranks]
            plans[name][key] = (position, ranks, located)
            for bucket, offset in located:
                wanted.setdefault((name, bucket), []).append(offset)
    values = _bucket_values(wanted, periods)
    result = {}
    for name in periods:
        result[name] = dict.fromkeys(FRACTIONS)
        for key, (position, ranks, located) in plans[name].items():
            low, high = (values[(name, bucket)][offset] for bucket, offset in located)
            if ranks[1] > ranks[0]:
                low = low + (high - low) * (position - ranks[0])
            result[name][key] = low
    return result


def _bucket_values(wanted: dict, periods: dict) -> dict:
    """{(period, bucket): {offset: ms}} for the offsets wanted, in one query."""
    if not wanted:
        return {}
    parts, params, keys = [], [], list(wanted)
    for index, (name, bucket) in enumerate(keys):
        low, high = min(wanted[(name, bucket)]), max(wanted[(name, bucket)])
        parts.append(_BUCKET_VALUES)
        params += [index, bucket, *periods[name], low, high - low + 1]
    found: dict = {key: [] for key in keys}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for index, ms in cursor.fetchall():
            found[keys[index]].append(ms)
    values = {}
    for key, items in found.items():
        low = min(wanted[key])
        values[key] = {low + i: ms for i, ms in enumerate(sorted(items))}
    return values
