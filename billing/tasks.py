"""Celery tasks for billing: retry failed Stripe webhook processing (beat, every minute)."""

from celery import shared_task

from billing import services


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def retry_failed_webhooks_task() -> int:
    return services.retry_failed_webhooks()
