"""Recovering generations no worker will finish: sent again, taken over, or given up.

Run by Celery beat every `TICKETS_SWEEP_SECONDS` (tickets/timing.py has the whole contract).
A worker killed mid-generation, a pool process killed by the OOM killer, or a message lost
with its worker leaves a ticket `queued` (nobody will claim it) or `running` with a lease
that stops being renewed. The sweep sends those to the workers again — a claim takes a
lapsed run over — and fails, with the tokens released, what can no longer finish.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from tickets.models import ACTIVE_STATUSES, Ticket
from tickets.services.dispatch import dispatch_generation
from tickets.services.running import MAX_RUNS, fail_ticket, hold_is, waiting
from tickets.timing import timing
from tokens.models import HoldStatus

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class Sweep:
    given_up: int
    sent_again: int


def _hopeless(now: datetime) -> Q:
    """Active tickets that can no longer finish: the hold is gone (the ledger expired it),
    the ticket is past stuck-after, or nobody runs it and nobody may (too many runs died,
    or the hold would lapse before another run could finish)."""
    contract = timing()
    too_late = now + contract.seconds("hard_limit")
    cannot_run = Q(runs__gte=MAX_RUNS) | hold_is(expires_at__lte=too_late)
    return (
        ~hold_is(status=HoldStatus.PENDING)
        | Q(created_at__lt=now - contract.seconds("stuck_after"))
        | (waiting(now) & cannot_run)
    )


def sweep_stuck_tickets(*, now: datetime | None = None) -> Sweep:
    """Give up what cannot finish, send again what waits for a worker that is gone.

    1. Each active ticket that can no longer finish (see `_hopeless`) is failed as
       `interrupted` and its hold released (`running.fail_ticket`: the hold's account row
       locked first; the condition re-checked in the same update, so a ticket a worker has
       just claimed or finished is left alone).
    2. Each ticket still waiting whose task was sent more than a lease ago is sent again:
       `dispatched_at` moves by conditional update (two sweeps send once), then the task is
       enqueued; the worker's claim takes a lapsed run over.
    At most BATCH of each per run. Returns the counts.
    """
    now = now or timezone.now()
    active = Ticket.objects.filter(status__in=ACTIVE_STATUSES)
    hopeless = _hopeless(now)
    given_up = 0
    for ticket in active.filter(hopeless).select_related(None).only("pk", "hold_id")[:BATCH]:
        given_up += fail_ticket(ticket=ticket, code="interrupted", only=hopeless)
    sent_again = 0
    stale = now - timing().seconds("lease")
    lost = active.filter(waiting(now), dispatched_at__lt=stale).exclude(hopeless)
    for ticket_id, dispatched_at in lost.values_list("pk", "dispatched_at")[:BATCH]:
        won = Ticket.objects.filter(pk=ticket_id, dispatched_at=dispatched_at).update(
            dispatched_at=now
        )
        if won and dispatch_generation(ticket_id):
            sent_again += 1
    if given_up or sent_again:
        logger.warning("recovery sweep: %s given up, %s sent again", given_up, sent_again)
    return Sweep(given_up=given_up, sent_again=sent_again)
