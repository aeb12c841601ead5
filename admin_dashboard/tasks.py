"""Celery tasks of the dashboard, started by beat."""

from celery import shared_task

from admin_dashboard import snapshots
from admin_dashboard.rollups.services import compact_rollups


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def refresh_overview_task() -> int:
    """Beat: keep the preset ranges' overview snapshots warm (see `snapshots`)."""
    return len(snapshots.refresh_presets())


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def compact_rollups_task() -> int:
    """Beat: fold the rollups' delta rows (see `rollups.services.compact_rollups`)."""
    return compact_rollups()
