"""Celery tasks for tickets: thin wrappers that take ids and call one service."""

from celery import shared_task

from tickets import services


# acks_late + reject_on_worker_lost (settings): a killed worker's task is redelivered; the
# service's conditional claim makes the second delivery harmless. The soft limit turns a
# runaway generation into a failure (hold released) well before the hold expires.
@shared_task(name="tickets.generate_ticket", acks_late=True, soft_time_limit=240, time_limit=270)
def generate_ticket_task(ticket_id: int) -> str:
    ticket = services.run_ticket_generation(ticket_id=ticket_id)
    return ticket.status if ticket is not None else "skipped"


@shared_task(name="tickets.sweep_stuck_tickets")
def sweep_stuck_tickets_task() -> int:
    return services.sweep_stuck_tickets()
