"""Celery tasks for tickets: thin wrappers that take ids and call one service.

Limits and retries follow the timing contract (tickets/timing.py, settings "Timing contract").
"""

from celery import shared_task
from django.conf import settings

from tickets import services
from tickets.services.running import DB_OUTAGE_ERRORS

# acks_late + reject_on_worker_lost (settings): a killed pool process's task is redelivered
# at once, and a task whose whole worker died is sent again by the recovery sweep; the
# service's conditional claim makes extra deliveries harmless. A database that cannot be
# reached for the claim is retried with backoff rather than acknowledged and forgotten.
# "Improve" runs within the same limits as a generation (the same provider chain).
MODEL_TASK_OPTIONS = {
    "acks_late": True,
    "soft_time_limit": settings.TICKETS_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.TICKETS_TASK_TIME_LIMIT,
    "autoretry_for": DB_OUTAGE_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": False,
    "max_retries": 12,
}


@shared_task(name="tickets.generate_ticket", **MODEL_TASK_OPTIONS)
def generate_ticket_task(ticket_id: int) -> str:
    ticket = services.run_ticket_generation(ticket_id=ticket_id)
    return ticket.status if ticket is not None else "skipped"


@shared_task(name="tickets.plan_split", **MODEL_TASK_OPTIONS)
def plan_split_task(split_id: int) -> str:
    split = services.run_split_planning(split_id=split_id)
    return split.status if split is not None else "skipped"


@shared_task(name="tickets.improve_ticket", **MODEL_TASK_OPTIONS)
def improve_ticket_task(improvement_id: int) -> str:
    improvement = services.run_ticket_improvement(improvement_id=improvement_id)
    return improvement.status if improvement is not None else "skipped"


@shared_task(name="tickets.sweep_stuck_tickets", ignore_result=True)
def sweep_stuck_tickets_task() -> dict:
    sweep = services.sweep_stuck_tickets()
    improvements = services.sweep_stuck_improvements()
    return {"given_up": sweep.given_up, "sent_again": sweep.sent_again,
            "improvements_failed": improvements, **services.sweep_stuck_splits()}
