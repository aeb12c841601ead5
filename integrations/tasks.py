"""Integrations' Celery tasks: one attempt at a batch of pushes, and the periodic sweep."""

from celery import shared_task

from integrations.services import sending
from integrations.services.pushing import dispatch_pushes

# Retries further ahead than this wait for the sweep instead of a broker countdown: the Redis
# broker redelivers a message it has held longer than its visibility timeout (300 s).
LONGEST_COUNTDOWN = 240.0


@shared_task(name="integrations.send_pushes", ignore_result=True)
def send_pushes_task(push_ids: list[int]) -> dict:
    """Send the pushes that are due; schedule the retries of those that failed for now."""
    outcomes = sending.send_pushes(push_ids=push_ids)
    for outcome in outcomes:
        if outcome.retry_in is not None and outcome.retry_in <= LONGEST_COUNTDOWN:
            send_pushes_task.apply_async(([outcome.push_id],), countdown=outcome.retry_in)
    return {o.push_id: o.state for o in outcomes}


@shared_task(name="integrations.sweep_pushes", ignore_result=True)
def sweep_pushes_task() -> int:
    """Enqueue the pushes that are due (lost tasks, long retries, lapsed claims)."""
    due = sending.sweep_pushes()
    for connection, push_ids in due.items():
        dispatch_pushes(connection, push_ids)
    return sum(len(ids) for ids in due.values())
