from celery import shared_task

from gifts import services


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def return_unclaimed_gifts_task() -> int:
    """Beat, hourly: gifts nobody claimed within GIFT_RETURN_DAYS go back to their senders."""
    return services.return_unclaimed_gifts()
