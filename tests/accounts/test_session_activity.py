"""Session activity for the sessions page (issue 22): tracked, but at most one write per
session and client every USERSESSIONS_TRACK_SECONDS — a new IP address or browser at once."""

import pytest
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.middleware import ThrottledUserSessionsMiddleware
from tests.builders import client_for, funded_user
from tests.helpers import wait_until

pytestmark = pytest.mark.django_db


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith(('UPDATE "usersessions', 'INSERT INTO "usersessions'))]


def test_signed_in_pages_write_the_session_once_per_window(settings):
    settings.USERSESSIONS_TRACK_SECONDS = 3
    user = funded_user(3)
    client = client_for(user)
    client.get("/tickets/")
    session = UserSession.objects.get(user=user)
    seen = session.last_seen_at
    with CaptureQueriesContext(connection) as later:
        for _ in range(3):
            assert client.get("/tickets/").status_code == 200
    assert writes(later) == []
    assert UserSession.objects.get(pk=session.pk).last_seen_at == seen

    def visit_recorded() -> bool:
        client.get("/tickets/")
        return UserSession.objects.get(pk=session.pk).last_seen_at > seen

    # The window passes: a request after it records the visit.
    wait_until(visit_recorded, 10, interval=0.25, message="no visit recorded after the window")


def test_another_process_recording_the_visit_keeps_this_one_from_writing():
    user = funded_user(3)
    client = client_for(user)
    client.get("/tickets/")
    seen = UserSession.objects.get(user=user).last_seen_at
    # The cache still holds the window another web process opened; this process has never
    # seen the session (its memory of windows lost, as in a fresh process).
    ThrottledUserSessionsMiddleware._next_due.clear()
    with CaptureQueriesContext(connection) as later:
        assert client.get("/tickets/").status_code == 200
    assert writes(later) == []
    assert UserSession.objects.get(user=user).last_seen_at == seen
    cache.clear()  # the window is over everywhere (its key expired) and this process
    ThrottledUserSessionsMiddleware._next_due.clear()  # starts afresh
    client.get("/tickets/")
    assert UserSession.objects.get(user=user).last_seen_at > seen


def test_a_new_browser_or_address_is_recorded_at_once():
    user = funded_user(3)
    client = client_for(user)
    client.get("/tickets/", HTTP_USER_AGENT="Firefox/128.0")
    client.get("/tickets/", HTTP_USER_AGENT="Safari/604.1", REMOTE_ADDR="198.51.100.7")
    session = UserSession.objects.get(user=user)
    assert session.user_agent == "Safari/604.1" and session.ip == "198.51.100.7"
