"""Webhooks' Celery tasks: one attempt at a delivery, and the periodic sweep."""

from celery import shared_task

from accounts.webhooks import sending

# Retries further ahead than this wait for the sweep instead of a broker countdown: the Redis
# broker redelivers a message it has held longer than its visibility timeout (300 s).
LONGEST_COUNTDOWN = 240.0


@shared_task(name="accounts.webhooks.deliver", ignore_result=True, soft_time_limit=40,
             time_limit=50)
def deliver_webhook_task(delivery_id: int) -> str:
    """Send the delivery if it is due; schedule its retry when the attempt failed."""
    outcome = sending.deliver_webhook(delivery_id=delivery_id)
    if outcome.retry_in is not None and outcome.retry_in <= LONGEST_COUNTDOWN:
        deliver_webhook_task.apply_async((delivery_id,), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="accounts.webhooks.sweep_deliveries", ignore_result=True)
def sweep_deliveries_task() -> int:
    """Enqueue the deliveries that are due (lost tasks, long retries, lapsed claims)."""
    due = sending.sweep_deliveries()
    for delivery_id in due:
        deliver_webhook_task.delay(delivery_id)
    return len(due)
