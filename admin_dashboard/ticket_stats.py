"""Reads of the tickets tables for the staff dashboard (the tickets app's own selectors serve
users; these serve staff). One query per figure, aggregated in the database."""

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate

from accounts.models import AnonymousVisitor
from billing.models import Purchase
from billing.selectors import COMPLETED_STATUSES
from tickets.models import GenerationAttempt, Status, Ticket


def ticket_totals(*, start, end, prev_start) -> dict:
    """Tickets created per period: total, succeeded, failed."""
    aggregates = {}
    for name, low, high in (("current", start, end), ("previous", prev_start, start)):
        window = Q(created_at__gte=low, created_at__lt=high)
        aggregates[f"{name}_total"] = Count("id", filter=window)
        aggregates[f"{name}_succeeded"] = Count("id", filter=window & Q(status=Status.SUCCEEDED))
        aggregates[f"{name}_failed"] = Count("id", filter=window & Q(status=Status.FAILED))
    row = Ticket.objects.filter(created_at__gte=prev_start, created_at__lt=end).aggregate(
        **aggregates
    )
    return {
        name: {kind: row[f"{name}_{kind}"] for kind in ("total", "succeeded", "failed")}
        for name in ("current", "previous")
    }


def tickets_by_type_and_quality(*, start, end) -> list[dict]:
    return list(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("ticket_type", "quality")
        .annotate(
            total=Count("id"),
            succeeded=Count("id", filter=Q(status=Status.SUCCEEDED)),
            failed=Count("id", filter=Q(status=Status.FAILED)),
        )
        .order_by("ticket_type", "quality")
    )


def tickets_by_day(*, start, end) -> list[dict]:
    return list(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            succeeded=Count("id", filter=Q(status=Status.SUCCEEDED)),
            failed=Count("id", filter=Q(status=Status.FAILED)),
        )
        .order_by("day")
    )


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
