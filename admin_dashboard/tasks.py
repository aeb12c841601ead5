"""Celery tasks of the dashboard: started by staff, or by beat."""

from celery import shared_task

from admin_dashboard import snapshots
from billing import selectors as billing_selectors
from billing import services as billing_services


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def retry_webhook_task(trigger_id: int) -> bool:
    """Re-run processing of one stored Stripe delivery (see billing's retry service)."""
    trigger = billing_selectors.get_webhook_trigger(trigger_id)
    if trigger is None:
        return False
    return billing_services.retry_webhook_trigger(trigger=trigger)


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def refresh_overview_task() -> int:
    """Beat: keep the preset ranges' overview snapshots warm (see `snapshots`)."""
    return len(snapshots.refresh_presets())
