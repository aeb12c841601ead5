"""Reads for tickets: what a request may see, the library's filters, attempt statistics."""

from datetime import date, timedelta

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.http import HttpRequest

from accounts.selectors import get_visitor_for_request
from tickets.models import GenerationAttempt, Ticket


def visible_tickets(request: HttpRequest) -> QuerySet[Ticket]:
    """The tickets this request may see and change: a user's own, or, for a visitor, the
    unclaimed tickets this browser made. Everything else is invisible (views answer 404)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Ticket.objects.filter(owner=user)
    visitor = get_visitor_for_request(request)
    if visitor is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(visitor=visitor, owner__isnull=True)


def list_tickets(
    request: HttpRequest,
    *,
    query: str = "",
    ticket_type: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
) -> QuerySet[Ticket]:
    """The library: visible tickets, newest first, filtered by text, type and day."""
    tickets = visible_tickets(request)
    if query:
        tickets = tickets.filter(
            Q(title__icontains=query)
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
    return tickets.order_by("-created_at", "-id")


def count_active_tickets(request: HttpRequest) -> int:
    return visible_tickets(request).filter(status__in=["queued", "running"]).count()


def get_attempt_stats(*, days: int = 7) -> list[dict]:
    """Per provider and model over the last `days`: attempts, successes, latency, tokens,
    cost. For the staff dashboard."""
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    return list(
        GenerationAttempt.objects.filter(created_at__gte=since)
        .values("provider", "model_name")
        .annotate(
            attempts=Count("id"),
            successes=Count("id", filter=Q(outcome="success")),
            avg_latency_ms=Avg("latency_ms"),
            prompt_tokens=Sum("prompt_tokens"),
            completion_tokens=Sum("completion_tokens"),
            cost=Sum("cost"),
        )
        .order_by("provider", "model_name")
    )
