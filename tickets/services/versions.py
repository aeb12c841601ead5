"""A ticket's versions: each change of content recorded with it, and restoring an old one."""

from django.db import transaction
from django.utils import timezone

from tickets.models import CONTENT_FIELDS, Ticket, TicketVersion, VersionSource
from tickets.services.scoring import QUALITY_FIELDS, score_ticket


class ImprovementInProgress(Exception):
    """The ticket is being improved: its content must not change under the improvement."""


def record_version(*, ticket: Ticket, source: str, note: str = "") -> TicketVersion:
    """Write `TicketVersion` number `ticket.version` from the ticket's content and score as
    they are in memory.

    Call it inside the transaction that stored that content and moved `version` (the version
    row and the content it records commit together). The (ticket, number) unique constraint
    refuses a second row for one number.
    """
    return TicketVersion.objects.create(
        ticket=ticket,
        number=ticket.version,
        source=source,
        content=ticket.content(),
        quality_score=ticket.quality_score,
        quality_report=ticket.quality_report,
        note=note,
    )


def save_new_version(*, ticket: Ticket, content: dict, source: str, note: str = "") -> Ticket:
    """Store `content` (already validated) as the ticket's next version: the fields, their
    quality check (`score_ticket`), `version` + 1 and the version row, in one transaction with
    the ticket's row locked. Refuses (ImprovementInProgress) while an improvement is queued
    or running, so a paid rewrite never lands on content the user changed meanwhile."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        if locked.improvements.filter(status__in=("queued", "running")).exists():
            raise ImprovementInProgress
        for field in CONTENT_FIELDS:
            setattr(ticket, field, content[field])
        score_ticket(ticket=ticket)
        ticket.version = locked.version + 1
        ticket.edited_at = timezone.now()
        ticket.save(update_fields=[*CONTENT_FIELDS, *QUALITY_FIELDS, "version", "edited_at",
                                   "updated_at"])
        record_version(ticket=ticket, source=source, note=note)
    return ticket


def restore_ticket_version(*, ticket: Ticket, version: TicketVersion) -> Ticket:
    """Make an earlier version's content the current one, free: written as a new version
    (source restored), re-checked by the current rules. Writes what `save_new_version`
    writes; the versions in between are kept."""
    content = {field: version.content.get(field, getattr(ticket, field))
               for field in CONTENT_FIELDS}
    return save_new_version(ticket=ticket, content=content, source=VersionSource.RESTORED,
                            note=f"Restored version {version.number}")
