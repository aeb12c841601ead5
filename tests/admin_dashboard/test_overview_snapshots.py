"""The overview is computed once per range and served from the cache until it expires, beat
recomputes the preset ranges, and "Refresh now" recomputes on demand."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin_dashboard.periods import preset_period
from admin_dashboard.snapshots import get_overview
from admin_dashboard.tasks import refresh_overview_task
from tests.admin_dashboard.test_overview import make_ticket
from tests.factories import UserFactory


def tickets_figure(page) -> str:
    """The 'Tickets' figure card's current value as shown on the page."""
    found = re.search(r">Tickets</p>\s*<p class=\"figure-value\"><strong>([^<]*)<",
                      page.content.decode())
    return found.group(1)


def ticket_queries(captured) -> int:
    return sum("tickets_ticket" in query["sql"] for query in captured.captured_queries)


@pytest.mark.django_db
def test_second_load_reads_the_snapshot_and_refresh_recomputes(staff_client):
    user = UserFactory()
    make_ticket(user, status="succeeded", latency_s=1)
    first = staff_client.get("/dashboard/?range=7")
    assert tickets_figure(first) == "1"
    assert b"Figures as of" in first.content

    make_ticket(user, status="succeeded", latency_s=2)
    with CaptureQueriesContext(connection) as captured:
        cached = staff_client.get("/dashboard/?range=7")
    assert ticket_queries(captured) == 0  # nothing recomputed
    assert tickets_figure(cached) == "1"  # the snapshot, until it expires or is refreshed

    refreshed = staff_client.post("/dashboard/refresh/?range=7")
    assert refreshed.status_code == 302
    assert refreshed["Location"] == "/dashboard/?range=7"
    assert tickets_figure(staff_client.get(refreshed["Location"])) == "2"


@pytest.mark.django_db
def test_each_range_has_its_own_snapshot(staff_client):
    make_ticket(UserFactory(), status="succeeded", latency_s=1)
    staff_client.get("/dashboard/?range=7")
    with CaptureQueriesContext(connection) as captured:
        page = staff_client.get("/dashboard/?range=90")
    assert ticket_queries(captured) > 0
    assert tickets_figure(page) == "1"


@pytest.mark.django_db
def test_refresh_only_answers_post_from_staff(client, staff_client):
    assert staff_client.get("/dashboard/refresh/?range=7").status_code == 405
    client.force_login(UserFactory())
    assert client.post("/dashboard/refresh/?range=7").status_code == 404


@pytest.mark.django_db
def test_beat_task_warms_every_preset_range(staff_client, tasks_inline):
    make_ticket(UserFactory(), status="failed")
    assert refresh_overview_task.delay().get() == 4
    for key in ("today", "7", "30", "90"):
        with CaptureQueriesContext(connection) as captured:
            page = staff_client.get(f"/dashboard/?range={key}")
        assert ticket_queries(captured) == 0, key
        assert tickets_figure(page) == "1"


def test_beat_schedule_names_a_registered_task(celery_app):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-refresh-overview"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] < settings.DASHBOARD_CACHE_SECONDS  # warm before expiry


@pytest.mark.django_db
def test_zero_seconds_turns_the_cache_off(settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    period = preset_period("7")
    make_ticket(UserFactory(), status="succeeded", latency_s=1)
    assert get_overview(period).data["figures"][3].current == 1
    make_ticket(UserFactory(), status="succeeded", latency_s=1)
    assert get_overview(period).data["figures"][3].current == 2
