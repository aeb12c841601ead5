"""The overview's figures, computed at most once per `DASHBOARD_CACHE_SECONDS` per range.

Computing them scans every ticket and ledger entry of the range and the period before it,
which grows with traffic; staff reloading the page should not repeat that work. A snapshot
(the figures and when they were computed) is kept in Django's cache, Redis in production so
every web process shares it. Celery beat recomputes the preset ranges a little more often
than they expire, so a staff member normally reads a warm snapshot; "Refresh" recomputes
one on demand.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from admin_dashboard import metrics
from admin_dashboard.periods import PRESETS, Period, preset_period


@dataclass(frozen=True)
class Snapshot:
    data: dict
    computed_at: datetime


def _cache_key(period: Period) -> str:
    return f"dashboard:overview:v1:{period.first_day.isoformat()}:{period.last_day.isoformat()}"


def get_overview(period: Period, *, refresh: bool = False) -> Snapshot:
    """The cached snapshot for `period`, or a freshly computed one (always when `refresh`)."""
    if not refresh:
        snapshot = cache.get(_cache_key(period))
        if snapshot is not None:
            return snapshot
    snapshot = Snapshot(data=metrics.overview(period), computed_at=timezone.now())
    if settings.DASHBOARD_CACHE_SECONDS > 0:
        cache.set(_cache_key(period), snapshot, settings.DASHBOARD_CACHE_SECONDS)
    return snapshot


def refresh_presets() -> list[Period]:
    """Recompute and cache the snapshot of every preset range; returns the ranges done."""
    periods = [preset_period(key) for key in PRESETS]
    for period in periods:
        get_overview(period, refresh=True)
    return periods
