"""Celery tasks started by staff from the dashboard."""

from celery import shared_task

from billing import selectors as billing_selectors
from billing import services as billing_services


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def retry_webhook_task(trigger_id: int) -> bool:
    """Re-run processing of one stored Stripe delivery (see billing's retry service)."""
    trigger = billing_selectors.get_webhook_trigger(trigger_id)
    if trigger is None:
        return False
    return billing_services.retry_webhook_trigger(trigger=trigger)
