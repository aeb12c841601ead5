"""Celery tasks for billing: retries of failed Stripe webhook processing."""

from celery import shared_task

from billing import services


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def retry_failed_webhooks_task() -> int:
    """Beat, every minute: the deliveries whose backoff has elapsed."""
    return services.retry_failed_webhooks()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def retry_webhook_task(*, trigger_id: int, actor_id: int | None = None, reason: str = "") -> str:
    """A staff member's retry of one delivery (queued by `queue_webhook_retry`)."""
    return services.retry_webhook(trigger_id=trigger_id, actor_id=actor_id, reason=reason)
