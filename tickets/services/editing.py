"""Changing finished tickets: edits, ratings, deletion, and ownership after sign-up."""

from django.db import transaction
from django.utils import timezone

from tickets.models import ACTIVE_STATUSES, CONTENT_FIELDS, Ticket
from tickets.services.scoring import QUALITY_FIELDS, score_ticket


def update_ticket_content(*, ticket: Ticket, content: dict) -> Ticket:
    """Save edited fields (already validated against the schema) with the quality check of
    the edited content (`score_ticket`). Writes the ticket only, in one UPDATE: the stored
    scorecard always describes the stored fields."""
    for field in CONTENT_FIELDS:
        setattr(ticket, field, content[field])
    score_ticket(ticket=ticket)
    ticket.edited_at = timezone.now()
    ticket.save(update_fields=[*CONTENT_FIELDS, *QUALITY_FIELDS, "edited_at", "updated_at"])
    return ticket


def rate_ticket(*, ticket: Ticket, helpful: bool, comment: str = "") -> Ticket:
    """Record the owner's rating (helpful or not) and optional comment; a new rating replaces
    the old one."""
    ticket.rating = 1 if helpful else -1
    ticket.rating_comment = comment.strip()[:1000]
    ticket.rated_at = timezone.now()
    ticket.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return ticket


def delete_ticket(*, ticket: Ticket) -> bool:
    """Delete a finished ticket; returns False (deleting nothing) while it is generating, so
    its hold is always settled by the generation itself. Attempt logs are kept."""
    deleted, _ = Ticket.objects.filter(pk=ticket.pk).exclude(status__in=ACTIVE_STATUSES).delete()
    return bool(deleted)


def move_visitor_tickets(*, visitor, user) -> int:
    """Give `user` the tickets `visitor` made before signing up; returns how many moved.

    Writes `owner` on the visitor's unowned tickets, and `token_account` on those whose hold
    moved to the user's account with the visitor's tokens (a generation still running at
    sign-up is paid from there). Idempotent (a repeat finds none).
    """
    with transaction.atomic():
        moved = Ticket.objects.filter(visitor=visitor, owner__isnull=True).update(owner=user)
        if user.token_account_id is not None:
            Ticket.objects.filter(
                visitor=visitor, hold__account_id=user.token_account_id
            ).exclude(token_account_id=user.token_account_id).update(
                token_account_id=user.token_account_id
            )
    return moved
