"""A batch row follows its ticket: when the ticket succeeds or fails, the row settles and the
batch's next row may start."""

from django.dispatch import receiver

from tickets.batches.services import settle_batch_row
from tickets.signals import ticket_failed, ticket_succeeded


@receiver(ticket_succeeded, dispatch_uid="tickets.batches.settle_row_succeeded")
@receiver(ticket_failed, dispatch_uid="tickets.batches.settle_row_failed")
def settle_row(sender, ticket, **kwargs):
    if ticket.nonce_is_derived:  # a batch row's is (`row_nonce`)
        settle_batch_row(ticket_id=ticket.pk)
