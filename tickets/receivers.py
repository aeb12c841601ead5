"""Signal receivers: tickets follow their visitor into the account made at sign-up; a
finished ticket becomes a webhook event for its workspace (accounts/webhooks: `accounts`
does not import `tickets`, so the wiring lives here)."""

from django.dispatch import receiver

from accounts.signals import visitor_merged
from accounts.webhooks import services as webhooks
from accounts.webhooks.models import WebhookEvent
from tickets.services import move_visitor_tickets
from tickets.signals import ticket_failed, ticket_succeeded


@receiver(visitor_merged, dispatch_uid="tickets.move_visitor_tickets")
def move_tickets_to_user(sender, visitor, user, **kwargs):
    move_visitor_tickets(visitor=visitor, user=user)


# Both signals are sent after the ticket's transaction committed, once per ticket; the
# delivery's unique key makes a repeat harmless.
@receiver(ticket_succeeded, dispatch_uid="tickets.webhook_ticket_completed")
def ticket_completed_event(sender, ticket, **kwargs):
    webhooks.record_ticket_event(ticket=ticket, event=WebhookEvent.TICKET_COMPLETED)


@receiver(ticket_failed, dispatch_uid="tickets.webhook_ticket_failed")
def ticket_failed_event(sender, ticket, **kwargs):
    webhooks.record_ticket_event(ticket=ticket, event=WebhookEvent.TICKET_FAILED)
