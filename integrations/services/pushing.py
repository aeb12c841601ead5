"""Asking for pushes: which tickets go where, recorded once, and sent to the workers.

Pushing is free: nothing here (or in sending) touches the ledger.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from integrations.models import Connection, Push
from integrations.selectors import connections_for_ticket, may_push
from integrations.trackers import tracker_class
from tickets.models import Status as TicketStatus
from tickets.models import Ticket

logger = logging.getLogger(__name__)
State, Action = Push.State, Push.Action


class PushRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Planned:
    """A ticket in a push request, with the epic it goes under (None: top level)."""

    ticket: Ticket
    parent: Ticket | None


def plan_pushes(*, user, tickets: list[Ticket], connection: Connection) -> list[Planned]:
    """What a push of `tickets` sends, parents first: each ticket, and for an epic its
    finished stories under it (a story already in the selection goes under its epic once).
    Raises PushRefused when the user may not push a ticket with this connection, or a
    ticket is not finished."""
    if connection.health != Connection.Health.OK:
        raise PushRefused("connection_unusable", connection.problem or (
            _("Choose where this connection sends issues first.")))
    if not tickets:
        raise PushRefused("nothing_selected", _("Choose at least one ticket to send."))
    allowed = set(connections_for_ticket(tickets[0]).values_list("pk", flat=True))
    planned: dict[int, Planned] = {}
    for ticket in tickets:
        if not may_push(user, ticket) or connection.pk not in allowed or (
                ticket.organization_id != tickets[0].organization_id):
            raise PushRefused("forbidden",
                              _("These tickets cannot be sent with this connection."))
        if ticket.status != TicketStatus.SUCCEEDED:
            raise PushRefused("not_ready",
                              _("“%(ticket)s” is not finished yet.") % {"ticket": ticket})
        parent = ticket.parent if ticket.parent_id and ticket.parent.status == (
            TicketStatus.SUCCEEDED) and any(t.pk == ticket.parent_id for t in tickets) else None
        planned.setdefault(ticket.pk, Planned(ticket, parent))
        for child in ticket.children.filter(status=TicketStatus.SUCCEEDED).order_by("position"):
            planned[child.pk] = Planned(child, ticket)
    roots = [p for p in planned.values() if p.parent is None]
    return roots + [p for p in planned.values() if p.parent is not None]


def request_pushes(*, user, tickets: list[Ticket], connection: Connection,
                   update: bool = False) -> list[Push]:
    """Record a push of each planned ticket to `connection` and send them to the workers.

    Writes one Push per ticket × connection (the unique constraint makes a double submit one
    row): a new one to create the issue; an existing finished one is left alone — or, with
    `update`, set to update its issue; a failed one is set to try again (it looks for the
    issue first if a create may have reached the tracker). Children wait for their epic's
    issue. Tasks are sent after commit. Returns the pushes in plan order."""
    plan = plan_pushes(user=user, tickets=tickets, connection=connection)
    with transaction.atomic():
        Push.objects.bulk_create(
            [Push(ticket=p.ticket, connection=connection, requested_by=user) for p in plan],
            ignore_conflicts=True)
        pushes = {push.ticket_id: push for push in Push.objects.select_for_update().filter(
            connection=connection, ticket__in=[p.ticket for p in plan])}
        # A story sent on its own goes under its epic's issue when the epic was sent here.
        epics = {push.ticket_id: push for push in Push.objects.filter(
            connection=connection, ticket_id__in=[p.ticket.parent_id for p in plan
                                                  if p.parent is None and p.ticket.parent_id])}
        now = timezone.now()
        for item in plan:
            push = pushes[item.ticket.pk]
            push.parent = (pushes[item.parent.pk] if item.parent
                           else epics.get(item.ticket.parent_id))
            if push.state == State.DONE and update:
                push.action, push.state = Action.UPDATE, State.PENDING
                push.attempts, push.error, push.next_attempt_at = 0, "", now
            elif push.state == State.FAILED:
                push.state, push.attempts, push.error = State.PENDING, 0, ""
                push.next_attempt_at = now
            elif push.state == State.PENDING and push.next_attempt_at is None:
                push.next_attempt_at = now
            push.requested_by = user
        Push.objects.bulk_update(pushes.values(), ["parent", "action", "state", "attempts",
                                                   "error", "next_attempt_at",
                                                   "requested_by"])
        ready = [p.pk for p in pushes.values()
                 if p.state == State.PENDING and (p.parent is None
                                                  or p.parent.state == State.DONE)]
        transaction.on_commit(lambda: dispatch_pushes(connection, ready))
    return [pushes[item.ticket.pk] for item in plan]


def dispatch_pushes(connection: Connection, push_ids: list[int]) -> bool:
    """Enqueue the pushes in batches the tracker takes at once (Jira: 50; others: 1, so
    they run side by side); False when the broker is unreachable (the sweep sends them)."""
    from integrations.tasks import send_pushes_task

    size = tracker_class(connection.kind).bulk_size
    try:
        for start in range(0, len(push_ids), size):
            send_pushes_task.delay(push_ids[start:start + size])
    except BrokerUnavailable:
        logger.warning("pushes %s: broker unavailable, the sweep will send them", push_ids)
        return False
    return True


def waiting_children(push_ids: list[int]) -> dict[Connection, list[int]]:
    """The pending children of the given (now finished) pushes, by connection."""
    children: dict[Connection, list[int]] = {}
    for child in (Push.objects.filter(parent_id__in=push_ids, state=State.PENDING)
                  .select_related("connection").order_by("ticket__position", "pk")):
        children.setdefault(child.connection, []).append(child.pk)
    return children


def parent_ready() -> Q:
    """Pushes that may be sent now as far as their epic goes."""
    return Q(parent__isnull=True) | Q(parent__state=State.DONE)
