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


def dispatch_generations(ticket_ids: list[int]) -> bool:
    """Enqueue one `generate_ticket_task` per ticket as a Celery group (a split's children);
    False when the broker is unreachable (the recovery sweeper sends each again)."""
    from celery import group

    from tickets.tasks import generate_ticket_task

    if not ticket_ids:
        return True
    try:
        group(generate_ticket_task.s(ticket_id) for ticket_id in ticket_ids).apply_async()
    except BrokerUnavailable:
        logger.warning("tickets %s: broker unavailable, the sweeper will send them", ticket_ids)
        return False
    return True


def dispatch_planning(split_id: int) -> bool:
    """Enqueue `plan_split_task`; False when the broker is unreachable (the sweeper sends it
    again)."""
    from tickets.tasks import plan_split_task

    try:
        plan_split_task.delay(split_id)
    except BrokerUnavailable:
        logger.warning("split %s: broker unavailable, the sweeper will send it", split_id)
        return False
    return True
