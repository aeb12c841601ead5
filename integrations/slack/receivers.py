"""The Slack app listens for finished tickets and finished pushes (both signals are sent
after their transaction commits) and posts the outcome where it was asked for."""

from django.dispatch import receiver

from integrations.signals import push_finished
from integrations.slack.services import answer_push, answer_ticket
from tickets.signals import ticket_failed, ticket_succeeded


@receiver(ticket_succeeded, dispatch_uid="integrations.slack.ticket_succeeded")
@receiver(ticket_failed, dispatch_uid="integrations.slack.ticket_failed")
def post_ticket_outcome(sender, ticket, **kwargs):
    answer_ticket(ticket=ticket)


@receiver(push_finished, dispatch_uid="integrations.slack.push_finished")
def post_push_outcome(sender, push, **kwargs):
    answer_push(push=push)
