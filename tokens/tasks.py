"""Celery beat jobs for the ledger. Each takes no arguments and calls one service."""

from celery import shared_task

from tokens import services


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def release_expired_holds_task() -> int:
    """Every minute: abandoned holds (a crashed worker) give their tokens back."""
    return services.release_expired_holds()


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=900)
def expire_lots_task() -> int:
    """Hourly: lapsed lots write their expiry entries."""
    return services.expire_lots()


@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=2000)
def ledger_audit_task() -> bool:
    """Nightly: prove balances agree with the ledger; the result is stored for the dashboard."""
    return services.run_ledger_audit().ok
