"""Reads for tickets: what a request may see, the library's filters, and the figures the
staff dashboard shows (aggregated in the database, a fixed number of queries per page)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import get_visitor_for_request
from accounts.teams.models import Membership
from accounts.teams.roles import can_change_ticket as team_can_change_ticket
from accounts.teams.selectors import get_workspace, team_ids_of
from tickets.models import (
    PUBLIC_ID_LENGTH,
    GenerationAttempt,
    Split,
    SplitStatus,
    Status,
    Ticket,
    TicketImprovement,
    TicketVersion,
)
from tokens.models import HoldStatus
from tokens.references import Described


def visible_tickets(request: HttpRequest) -> QuerySet[Ticket]:
    """The tickets this request may see: a user's own personal tickets and the tickets of
    every team they are in (checked against their memberships on every request, whatever the
    current workspace), or, for a visitor, the unclaimed tickets this browser made.
    Everything else is invisible (views answer 404)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Ticket.objects.filter(
            Q(owner=user, organization__isnull=True) | Q(organization__in=team_ids_of(user)))
    visitor = get_visitor_for_request(request)
    if visitor is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(visitor=visitor, owner__isnull=True)


def workspace_tickets(request: HttpRequest) -> QuerySet[Ticket]:
    """The library of the current workspace: the team's tickets, or the person's own."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return visible_tickets(request)
    return tickets_of_workspace(user_id=user.pk,
                                organization_id=get_workspace(request).organization_id)


def tickets_of_workspace(*, user_id: int, organization_id: int | None) -> QuerySet[Ticket]:
    """A workspace's library: the team's tickets, or the person's own personal tickets."""
    if organization_id is not None:
        return Ticket.objects.filter(organization_id=organization_id)
    return Ticket.objects.filter(owner_id=user_id, organization__isnull=True)


def can_change_ticket(request: HttpRequest, ticket: Ticket) -> bool:
    """Whether this request may edit, delete, restore or improve a ticket it can see: its
    own always; a team's by role (admins any, members their own, viewers none)."""
    if ticket.organization_id is None:
        return True
    role = (Membership.objects.filter(user_id=request.user.pk,
                                      organization_id=ticket.organization_id)
            .values_list("role", flat=True).first())
    return role is not None and team_can_change_ticket(
        role, is_author=ticket.owner_id == request.user.pk)


# The library's quality filters (tickets.forms.QUALITY_FILTER_CHOICES). A score of 100 is every
# check passing (every check earns part of the score); unchecked tickets match neither.
QUALITY_FILTERS = {
    "passing": Q(quality_score=100),
    "needs_work": Q(quality_score__lt=100),
}


def list_tickets(
    request: HttpRequest,
    *,
    query: str = "",
    ticket_type: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    quality: str = "",
) -> QuerySet[Ticket]:
    """The library: the current workspace's tickets, newest first, filtered by text (or a
    ticket's public id), type, day and quality check (`QUALITY_FILTERS`: "passing" or
    "needs_work"). Unfiltered, an epic's stories (a story's sub-tasks) are folded under it
    (`child_count`); a filter finds them where they are."""
    tickets = workspace_tickets(request)
    if not (query or ticket_type or created_from or created_to or quality):
        tickets = tickets.filter(parent__isnull=True)
    if query:
        tickets = tickets.filter(
            Q(public_id=query.lower())
            | Q(title__icontains=query)
            | Q(summary__icontains=query)
            | Q(description__icontains=query)
            | Q(labels__icontains=query)
        )
    if ticket_type:
        tickets = tickets.filter(ticket_type=ticket_type)
    if created_from:
        tickets = tickets.filter(created_at__date__gte=created_from)
    if created_to:
        tickets = tickets.filter(created_at__date__lte=created_to)
    if quality:
        tickets = tickets.filter(QUALITY_FILTERS[quality])
    # Only what a row shows: the content and its check (large JSON) stay in the database.
    # A team's library also names who made each ticket.
    if get_workspace(request).is_team:
        tickets = tickets.select_related("owner").only(*LIBRARY_FIELDS, "organization_id",
                                                       "owner__email")
    else:
        tickets = tickets.only(*LIBRARY_FIELDS)
    return tickets.annotate(child_count=Coalesce(Subquery(
        Ticket.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
        .annotate(n=Count("pk")).values("n")), 0)).order_by("-created_at", "-id")


# The template's snapshot names the priority in its scheme's words ("Must have").
LIBRARY_FIELDS = ("public_id", "title", "status", "ticket_type", "quality_score", "priority",
                  "story_points", "created_at", "template_snapshot")


def count_active_tickets(request: HttpRequest) -> int:
    return visible_tickets(request).filter(status__in=["queued", "running"]).count()


# --- Staff dashboard -----------------------------------------------------------------------


def get_attempt_stats(*, start: datetime, end: datetime) -> list[dict]:
    """Per provider and model, over attempts made in [start, end): attempts, successes,
    success rate (%), average latency (ms), tokens and cost."""
    rows = (
        GenerationAttempt.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("provider", "model_name")
        .annotate(
            attempts=Count("id"),
            successes=Count("id", filter=Q(outcome=GenerationAttempt.Outcome.SUCCESS)),
            avg_latency_ms=Avg("latency_ms"),
            prompt_tokens=Sum("prompt_tokens"),
            completion_tokens=Sum("completion_tokens"),
            cost=Sum("cost"),
        )
        .order_by("provider", "model_name")
    )
    return [{**row, "rate": round(100 * row["successes"] / row["attempts"], 1)} for row in rows]


def list_recent_failed_attempts() -> QuerySet[GenerationAttempt]:
    """Generation attempts that did not succeed, newest first (slice it); each names its
    ticket by `ticket_public_id` (None once the ticket is deleted)."""
    return (
        GenerationAttempt.objects.exclude(outcome=GenerationAttempt.Outcome.SUCCESS)
        .only(
            "id", "provider", "model_name", "quality", "outcome", "error_code",
            "http_status", "latency_ms", "created_at",
        )
        .annotate(ticket_public_id=F("ticket__public_id"))
        .order_by("-created_at", "-id")
    )


def list_user_tickets_for_staff(user) -> QuerySet[Ticket]:
    """Every ticket of a user, newest first (slice it)."""
    return Ticket.objects.filter(owner=user).only(
        "id", "public_id", "title", "status", "ticket_type", "quality", "cost", "created_at",
        "error_code",
    ).order_by("-created_at", "-id")


def visitor_has_ticket() -> Exists:
    """For annotating a visitor queryset: whether the visitor generated any ticket."""
    return Exists(Ticket.objects.filter(visitor=OuterRef("pk")))


_OUTCOMES = {Status.SUCCEEDED: "succeeded", Status.FAILED: "failed"}


def ticket_counts(*, start, end, prev_start) -> dict:
    """Tickets created in [start, end) and in [prev_start, start): totals (total, succeeded,
    failed) per period, and for the current period counts per day and per type and quality.

    One grouped scan whose few hundred rows are folded here, instead of one scan of the range
    per table on the page. When the range is a small part of the table, PostgreSQL answers it
    with an index-only scan of `tickets_by_time`. (The staff overview reads the same rows from
    its daily rollup and folds them with `fold_ticket_counts`.)
    """
    rows = (
        Ticket.objects.filter(created_at__gte=prev_start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "ticket_type", "quality", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    return fold_ticket_counts(rows, first_day=timezone.localtime(start).date())


def fold_ticket_counts(rows, *, first_day: date) -> dict:
    """`ticket_counts`' figures from rows of (day, ticket_type, quality, status, n); days
    before `first_day` are the previous period."""
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


def get_latest_improvement(ticket: Ticket) -> TicketImprovement | None:
    """The ticket's most recent improvement (running or finished), or None."""
    return ticket.improvements.order_by("-created_at", "-id").first()


def list_versions(ticket: Ticket) -> QuerySet[TicketVersion]:
    """The ticket's versions, newest first."""
    return ticket.versions.order_by("-number")


def describe_ticket_references(references: list[str]) -> dict[str, Described]:
    """The ledger's `ticket:<pk>` references in words, for usage pages (one query):
    "Ticket 'Export invoices as CSV'" with a link to the ticket. A deleted ticket reads
    "A deleted ticket"."""
    ids = {reference: reference.removeprefix("ticket:") for reference in references}
    found = {
        str(pk): (title, public_id)
        for pk, title, public_id in Ticket.objects.filter(
            pk__any=[int(pk) for pk in ids.values() if pk.isdigit()]
        ).order_by().values_list("pk", "title", "public_id")
    }
    # One reverse() for the page, not one per ticket (an export describes 100,000).
    sentinel = "0" * PUBLIC_ID_LENGTH
    url = reverse("tickets:detail", args=[sentinel])
    described = {}
    for reference, pk in ids.items():
        if pk not in found:
            described[reference] = Described(text="A deleted ticket")
            continue
        title, public_id = found[pk]
        described[reference] = Described(
            text=f"Ticket “{title}”" if title else "Ticket (not finished)",
            url=url.replace(sentinel, public_id),
            public_id=public_id,
        )
    return described


@dataclass(frozen=True)
class SplitProgress:
    """Where a split stands, for its live card: the children so far (each with its planned
    title while it is being written) and what was charged, given back or is still reserved."""

    split: Split
    children: list[Ticket]
    charged: int
    given_back: int
    reserved: int

    @property
    def planning(self) -> bool:
        return self.split.status == SplitStatus.PLANNING

    @property
    def failed(self) -> bool:
        return self.split.status == SplitStatus.FAILED

    @property
    def ready(self) -> int:
        return sum(child.status == Status.SUCCEEDED for child in self.children)

    @property
    def active(self) -> bool:
        """Something will still change: the card keeps polling."""
        return self.planning or any(child.is_active for child in self.children)


def get_split_progress(ticket: Ticket) -> SplitProgress | None:
    """The progress of `ticket`'s split, or None when it was never split. Three queries."""
    split = Split.objects.filter(parent=ticket).first()
    if split is None:
        return None
    children = list(ticket.children.order_by("position").prefetch_related("depends_on"))
    planned = dict(enumerate(split.plan, 1))
    for child in children:
        child.planned_title = planned.get(child.position, {}).get("title", "")
    holds = split.slots.values_list("hold__status", "hold__amount")
    totals = {HoldStatus.CAPTURED: 0, HoldStatus.PENDING: 0}
    given_back = 0
    for status, amount in holds:
        if status in totals:
            totals[status] += amount
        else:
            given_back += amount
    return SplitProgress(split=split, children=children, charged=totals[HoldStatus.CAPTURED],
                         given_back=given_back, reserved=totals[HoldStatus.PENDING])


def with_children(tickets: list[Ticket]) -> list[Ticket]:
    """`tickets` for an export, each with its finished children attached (`export_children`,
    in plan order, their own children too); a child whose parent is in the list is written
    under it rather than twice. Two queries per level of the hierarchy."""
    by_id = {ticket.pk: ticket for ticket in tickets}
    top = [ticket for ticket in tickets if ticket.parent_id not in by_id]
    level = top
    while level:
        for ticket in level:
            ticket.export_children = []
        parents = {ticket.pk: ticket for ticket in level}
        children = list(Ticket.objects.filter(parent__in=parents, status=Status.SUCCEEDED)
                        .select_related("parent").prefetch_related("depends_on")
                        .order_by("position"))
        for child in children:
            parents[child.parent_id].export_children.append(child)
        level = children
    return top
