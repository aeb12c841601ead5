"""Reads of the tickets tables for the staff dashboard (the tickets app's own selectors serve
users; these serve staff). Aggregated in the database, a fixed number of queries per page."""

from collections import defaultdict

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import AnonymousVisitor
from billing.models import Purchase
from billing.selectors import COMPLETED_STATUSES
from tickets.models import GenerationAttempt, Status, Ticket

_OUTCOMES = {Status.SUCCEEDED: "succeeded", Status.FAILED: "failed"}


def ticket_counts(*, start, end, prev_start) -> dict:
    """Tickets created in [start, end) and in [prev_start, start): totals (total, succeeded,
    failed) per period, and for the current period counts per day and per type and quality.

    One grouped scan whose few hundred rows are folded here, instead of one scan of the range
    per table on the page. When the range is a small part of the table, PostgreSQL answers it
    with an index-only scan of `tickets_by_time`.
    """
    rows = (
        Ticket.objects.filter(created_at__gte=prev_start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "ticket_type", "quality", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    first_day = timezone.localtime(start).date()
    totals = {name: {"total": 0, "succeeded": 0, "failed": 0} for name in ("current", "previous")}
    by_day: dict = defaultdict(lambda: {"succeeded": 0, "failed": 0})
    by_type: dict = defaultdict(lambda: {"total": 0, "succeeded": 0, "failed": 0})
    for row in rows:
        period = totals["current" if row["day"] >= first_day else "previous"]
        period["total"] += row["n"]
        outcome = _OUTCOMES.get(row["status"])
        if outcome:
            period[outcome] += row["n"]
        if row["day"] < first_day:
            continue
        kind = by_type[(row["ticket_type"], row["quality"])]
        kind["total"] += row["n"]
        if outcome:
            kind[outcome] += row["n"]
            by_day[row["day"]][outcome] += row["n"]
    return {
        **totals,
        "by_day": [{"day": day, **counts} for day, counts in sorted(by_day.items())],
        "by_type": [
            {"ticket_type": ticket_type, "quality": quality, **counts}
            for (ticket_type, quality), counts in sorted(by_type.items())
        ],
    }


_LATENCY_SQL = """
SELECT
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE created_at >= %(start)s),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE created_at >= %(start)s),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE created_at < %(start)s),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE created_at < %(start)s)
FROM (
  SELECT created_at, EXTRACT(EPOCH FROM (finished_at - created_at)) * 1000 AS ms
  FROM tickets_ticket
  WHERE status = 'succeeded' AND finished_at IS NOT NULL
    AND created_at >= %(prev_start)s AND created_at < %(end)s
) AS done
"""


def _percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def latency_percentiles(*, start, end, prev_start) -> dict:
    """Median and p95 time from request to ready (ms) of succeeded tickets, per period.

    PostgreSQL computes them with `percentile_cont` in one query; the zero-setup SQLite run
    has no ordered-set aggregates, so there the (small, local) rows are read and computed here.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LATENCY_SQL, {"start": start, "end": end, "prev_start": prev_start})
            p50, p95, prev_p50, prev_p95 = cursor.fetchone()
        return {
            "current": {"p50": p50, "p95": p95},
            "previous": {"p50": prev_p50, "p95": prev_p95},
        }
    rows = Ticket.objects.filter(
        status=Status.SUCCEEDED,
        finished_at__isnull=False,
        created_at__gte=prev_start,
        created_at__lt=end,
    ).values_list("created_at", "finished_at")
    current, previous = [], []
    for created_at, finished_at in rows:
        ms = (finished_at - created_at).total_seconds() * 1000
        (current if created_at >= start else previous).append(ms)
    return {
        "current": {"p50": _percentile(current, 0.5), "p95": _percentile(current, 0.95)},
        "previous": {"p50": _percentile(previous, 0.5), "p95": _percentile(previous, 0.95)},
    }


def list_recent_failed_attempts():
    """Generation attempts that did not succeed, newest first (slice it)."""
    return (
        GenerationAttempt.objects.exclude(outcome=GenerationAttempt.Outcome.SUCCESS)
        .only(
            "id", "ticket_id", "provider", "model_name", "quality", "outcome", "error_code",
            "http_status", "latency_ms", "created_at",
        )
        .order_by("-created_at", "-id")
    )


def success_rates_by_model(*, start, end) -> list[dict]:
    """Per provider and model: attempts, successes, success rate (%), average latency."""
    from django.db.models import Avg

    rows = (
        GenerationAttempt.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("provider", "model_name")
        .annotate(
            attempts=Count("id"),
            successes=Count("id", filter=Q(outcome=GenerationAttempt.Outcome.SUCCESS)),
            avg_latency_ms=Avg("latency_ms"),
        )
        .order_by("provider", "model_name")
    )
    return [
        {**row, "rate": round(100 * row["successes"] / row["attempts"], 1)} for row in rows
    ]


def list_user_tickets(user):
    return Ticket.objects.filter(owner=user).only(
        "id", "title", "status", "ticket_type", "quality", "cost", "created_at", "error_code"
    ).order_by("-created_at", "-id")


def funnel(*, start, end) -> dict:
    """Visitors first seen in [start, end), and how many of them went on to generate a ticket,
    sign up, buy once, and buy again (a cohort: later steps count only those visitors)."""
    purchases = (
        Purchase.objects.filter(user=OuterRef("merged_into_id"), status__in=COMPLETED_STATUSES)
        .order_by()
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    cohort = AnonymousVisitor.objects.filter(created_at__gte=start, created_at__lt=end).annotate(
        purchases=Coalesce(Subquery(purchases[:1]), 0),
        generated=Exists(Ticket.objects.filter(visitor=OuterRef("pk"))),
    )
    return cohort.aggregate(
        visitors=Count("id"),
        generated_count=Count("id", filter=Q(generated=True)),
        signed_up=Count("id", filter=Q(merged_into__isnull=False)),
        purchased=Count("id", filter=Q(purchases__gte=1)),
        repeat=Count("id", filter=Q(purchases__gte=2)),
    )
