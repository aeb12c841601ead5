"""The overview's figures, computed at most once per `DASHBOARD_CACHE_SECONDS` per range.

Computing them scans every ticket and ledger entry of the range and the period before it,
which grows with traffic; staff reloading the page should not repeat that work. A snapshot
(the figures and when they were computed) is kept in Django's cache, Redis in production so
every web process shares it. Celery beat recomputes the preset ranges a little more often
than they expire, so a staff member normally reads a warm snapshot; "Refresh" recomputes
one on demand.

Each snapshot is stored with a stamp under a key of its own. A process that has already
read the snapshot a stamp names keeps it in memory and reads only the stamp: unpickling the
figures (their labels are lazy translations, each rebuilt on unpickling) cost more than
rendering the page from them.
"""

import uuid
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


# stamp -> snapshot, for the snapshots this process has read (a few per preset range).
_SEEN: dict[str, Snapshot] = {}
_SEEN_MAX = 64


def _cache_key(period: Period) -> str:
    return f"dashboard:overview:v2:{period.first_day.isoformat()}:{period.last_day.isoformat()}"


def get_overview(period: Period, *, refresh: bool = False) -> Snapshot:
    """The cached snapshot for `period`, or a freshly computed one (always when `refresh`)."""
    key = _cache_key(period)
    if not refresh:
        stamp = cache.get(f"{key}:stamp")
        if stamp is not None:
            snapshot = _SEEN.get(stamp)
            if snapshot is None:
                snapshot = cache.get(f"{key}:{stamp}")
                if snapshot is not None:
                    _remember(stamp, snapshot)
            if snapshot is not None:
                return snapshot
    snapshot = Snapshot(data=metrics.overview(period), computed_at=timezone.now())
    if settings.DASHBOARD_CACHE_SECONDS > 0:
        stamp = uuid.uuid4().hex
        # The snapshot before the stamp that names it: a reader never finds a stamp without it.
        cache.set(f"{key}:{stamp}", snapshot, settings.DASHBOARD_CACHE_SECONDS)
        cache.set(f"{key}:stamp", stamp, settings.DASHBOARD_CACHE_SECONDS)
        _remember(stamp, snapshot)
    return snapshot


def _remember(stamp: str, snapshot: Snapshot) -> None:
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()  # the live ones are read again once
    _SEEN[stamp] = snapshot


def refresh_presets() -> list[Period]:
    """Recompute and cache the snapshot of every preset range; returns the ranges done."""
    periods = [preset_period(key) for key in PRESETS]
    for period in periods:
        get_overview(period, refresh=True)
    return periods
