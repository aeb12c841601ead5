"""Signal receivers: tickets follow their visitor into the account made at sign-up."""

from django.dispatch import receiver

from accounts.signals import visitor_merged
from tickets.services import move_visitor_tickets


@receiver(visitor_merged, dispatch_uid="tickets.move_visitor_tickets")
def move_tickets_to_user(sender, visitor, user, **kwargs):
    move_visitor_tickets(visitor=visitor, user=user)
