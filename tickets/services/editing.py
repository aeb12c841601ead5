"""Changing finished tickets: edits, ratings, deletion, and ownership after sign-up."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.teams.models import Membership
from accounts.teams.roles import can_generate
from accounts.teams.services import record_ticket_moved
from tickets.models import ACTIVE_STATUSES, SplitStatus, Ticket, VersionSource
from tickets.models.history import ACTIVE_IMPROVEMENT
from tickets.services.versions import save_new_version


def update_ticket_content(*, ticket: Ticket, content: dict) -> Ticket:
    """Save edited fields (already validated against the schema) as the ticket's next
    version, with the quality check of the edited content: what `save_new_version` writes, in
    one transaction, so the stored scorecard always describes the stored fields. Raises
    ImprovementInProgress (nothing written) while an improvement is running."""
    return save_new_version(ticket=ticket, content=content, source=VersionSource.EDITED)


def rate_ticket(*, ticket: Ticket, helpful: bool, comment: str = "") -> Ticket:
    """Record the owner's rating (helpful or not) and optional comment; a new rating replaces
    the old one."""
    ticket.rating = 1 if helpful else -1
    ticket.rating_comment = comment.strip()[:1000]
    ticket.rated_at = timezone.now()
    ticket.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return ticket


def delete_ticket(*, ticket: Ticket) -> bool:
    """Delete a finished ticket with its versions; returns False (deleting nothing) while it
    is generating or being improved, or while its split is planning or its children are being
    written, so every hold is settled by the run that took it. Its children, if any, stay
    (standing alone). Attempt logs are kept."""
    deleted, _ = (
        Ticket.objects.filter(pk=ticket.pk)
        .exclude(status__in=ACTIVE_STATUSES)
        .exclude(improvements__status__in=ACTIVE_IMPROVEMENT)
        .exclude(split__status=SplitStatus.PLANNING)
        .exclude(children__status__in=ACTIVE_STATUSES)
        .delete()
    )
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


def move_ticket_to_team(*, ticket: Ticket, user, organization) -> bool:
    """Move `user`'s personal ticket into a team they can generate in (never back: the
    team's members may already rely on it).

    Writes (one transaction): the ticket's `organization` by a conditional update (a ticket
    that is already a team's is not moved again) and the team's `ticket_moved` audit event.
    Returns False when nothing moved. Raises PermissionDenied when `user` is not in the team
    or is a viewer there. The tokens it cost stay spent from the personal account.
    """
    role = (Membership.objects.filter(user=user, organization=organization)
            .values_list("role", flat=True).first())
    if role is None or not can_generate(role):
        raise PermissionDenied(f"Only members of {organization.name} can move tickets into it.")
    with transaction.atomic():
        moved = Ticket.objects.filter(pk=ticket.pk, owner=user,
                                      organization__isnull=True).update(organization=organization)
        if moved:
            record_ticket_moved(actor=user, organization=organization, public_id=ticket.public_id)
    return bool(moved)
