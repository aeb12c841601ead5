"""The quality check on stored tickets: one place that scores a ticket's content, and the
re-scoring of tickets checked by an older version of the rules (or never checked)."""

from django.db import transaction
from django.db.models import Q

from tickets.models import Status, Ticket
from tickets.quality import CHECK_VERSION, Scorecard, check_ticket

# What `score_ticket` assigns: save them with the content they score.
QUALITY_FIELDS = ("quality_report", "quality_score")
RESCORE_BATCH = 200


def score_ticket(*, ticket: Ticket) -> Scorecard:
    """Check the ticket's content as it is in memory and assign `quality_report` and
    `quality_score` (QUALITY_FIELDS) from the result, which it returns.

    Writes nothing to the database: the caller saves these fields in the same statement as
    the content they score (a generation's finishing update, an edit's save), so a stored
    score always describes the stored content.
    """
    scorecard = check_ticket(
        ticket.content(), description=ticket.description, ticket_type=ticket.ticket_type,
        language=ticket.written_language,
        template=ticket.template_spec,  # its snapshot: a re-score checks what it was made with
    )
    ticket.quality_report = scorecard.to_dict()
    ticket.quality_score = scorecard.score
    return scorecard


def _needs_scoring(everything: bool) -> Q:
    if everything:
        return Q()
    return Q(quality_score__isnull=True) | ~Q(quality_report__version=CHECK_VERSION)


def rescore_tickets(*, everything: bool = False, batch_size: int = RESCORE_BATCH) -> int:
    """Score finished tickets never checked or checked by another CHECK_VERSION (with
    `everything`, every finished ticket); returns how many were written.

    Works through them in primary-key order, `batch_size` per transaction, each batch's rows
    locked (`select_for_update`) while their content is read, scored and written, so an edit
    saved meanwhile is never overwritten by a score of the content before it. Writes only
    QUALITY_FIELDS (not `updated_at`: a re-score is not a change by the user). Idempotent:
    run again, it finds nothing left (and with `everything` writes the same scores).
    """
    written = 0
    last_pk = 0
    pending = Ticket.objects.filter(_needs_scoring(everything), status=Status.SUCCEEDED)
    while True:
        with transaction.atomic():
            batch = list(
                pending.filter(pk__gt=last_pk)
                .select_for_update(of=("self",))
                .order_by("pk")[:batch_size]
            )
            for ticket in batch:
                score_ticket(ticket=ticket)
            Ticket.objects.bulk_update(batch, QUALITY_FIELDS)
        if not batch:
            return written
        written += len(batch)
        last_pk = batch[-1].pk
