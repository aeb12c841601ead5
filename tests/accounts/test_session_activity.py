"""Session activity for the sessions page (issue 22): tracked, but at most one write per
session and client every USERSESSIONS_TRACK_SECONDS — a new IP address or browser at once."""

import pytest
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import client_for, funded_user

pytestmark = pytest.mark.django_db


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith(('UPDATE "usersessions', 'INSERT INTO "usersessions'))]


def test_signed_in_pages_write_the_session_once_per_window():
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
    # The window passes (its cache key expires): the next request records the visit.
    cache.clear()
    client.get("/tickets/")
    assert UserSession.objects.get(pk=session.pk).last_seen_at > seen


def test_a_new_browser_or_address_is_recorded_at_once():
    user = funded_user(3)
    client = client_for(user)
    client.get("/tickets/", HTTP_USER_AGENT="Firefox/128.0")
    client.get("/tickets/", HTTP_USER_AGENT="Safari/604.1", REMOTE_ADDR="198.51.100.7")
    session = UserSession.objects.get(user=user)
    assert session.user_agent == "Safari/604.1" and session.ip == "198.51.100.7"
