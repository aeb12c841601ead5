"""Sending a ticket's generation to the workers."""

import logging

from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


def dispatch_generation(ticket_id: int) -> bool:
    """Enqueue `generate_ticket_task` for the ticket; False when the broker is unreachable.

    Never raises for a broker outage: the ticket is already stored and paid for by its hold,
    and the recovery sweeper sends it again (`recovery.sweep_stuck_tickets`).
    """
    from tickets.tasks import generate_ticket_task

    try:
        generate_ticket_task.delay(ticket_id)
    except BrokerUnavailable:
        logger.warning("ticket %s: broker unavailable, the sweeper will send it", ticket_id)
        return False
    return True
