"""OAuth tokens renewed once, whoever needs them: Atlassian's refresh tokens rotate (a second
refresh with the same token is refused and, on the real service, can revoke the grant), so
concurrent pushes with an expired token must share one refresh. A revoked grant breaks the
connection with a reason, and pushes fail with it instead of retrying forever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Connection, Push
from integrations.services.credentials import access_token_for
from integrations.services.pushing import request_pushes
from integrations.services.sending import send_pushes
from integrations.trackers import TrackerError
from tests.builders import finished_ticket
from tests.helpers import race
from tests.integrations.fixtures_jira import jira_connection_to

pytestmark = pytest.mark.django_db(transaction=True)


def _expire(fake, connection: Connection) -> str:
    """The access token expired (on the tracker and in our record); returns the refresh
    token in use."""
    fake.expire_tokens()
    Connection.objects.filter(pk=connection.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    connection.refresh_from_db()
    return connection.refresh_token


def test_concurrent_pushes_share_one_refresh(jira_fake, owner):
    connection = jira_connection_to(jira_fake, owner)
    old_refresh = _expire(jira_fake, connection)
    tickets = [finished_ticket(owner) for _ in range(4)]
    pushes = request_pushes(user=owner, tickets=tickets, connection=connection)
    race(*[lambda push=push: send_pushes(push_ids=[push.pk]) for push in pushes])
    assert len(jira_fake.calls("POST", r"^/oauth/token$")) == 1
    assert set(Push.objects.values_list("state", flat=True)) == {Push.State.DONE}
    assert len(jira_fake.issues(jira_fake.demo)) == 4
    connection.refresh_from_db()
    assert connection.refresh_token != old_refresh  # rotated, and the new one stored
    assert connection.expires_at > timezone.now() + timedelta(minutes=30)


def test_eight_threads_asking_for_a_token_get_the_same_one(jira_fake, owner):
    connection = jira_connection_to(jira_fake, owner)
    _expire(jira_fake, connection)
    tokens = race(*[lambda: access_token_for(connection)] * 8)
    assert len(set(tokens)) == 1
    assert len(jira_fake.calls("POST", r"^/oauth/token$")) == 1


def test_a_revoked_grant_breaks_the_connection_and_fails_its_pushes(jira_fake, owner):
    connection = jira_connection_to(jira_fake, owner)
    _expire(jira_fake, connection)
    jira_fake.refresh_tokens.clear()  # the user removed the app in Atlassian
    [push] = request_pushes(user=owner, tickets=[finished_ticket(owner)],
                            connection=connection)
    send_pushes(push_ids=[push.pk])
    push.refresh_from_db()
    connection.refresh_from_db()
    assert connection.health == Connection.Health.BROKEN
    assert "Reconnect" in connection.problem
    assert push.state == Push.State.FAILED and "Reconnect" in push.error
    with pytest.raises(TrackerError) as broken:
        access_token_for(connection)
    assert broken.value.kind == "auth"
    assert not jira_fake.issues(jira_fake.demo)
