"""Fixtures for the jira fake (real HTTP on 127.0.0.1): the fake Atlassian (OAuth server and
Jira Cloud site "acme" with projects SHOP and OPS) wired into the settings, and a working
connection to SHOP's Story issue type."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.fakes.jira import FakeAtlassian
from integrations.models import Connection
from integrations.services.connections import choose_target, create_connection
from integrations.trackers.jira import JiraTracker


@pytest.fixture
def jira_fake(settings):
    """The fake Atlassian, seeded with seed_demo(); `jira_fake.demo` is the site "acme"."""
    fake = FakeAtlassian(hold_seconds=2.0).start()
    fake.demo = fake.seed_demo()
    settings.ATLASSIAN_AUTH_URL = fake.url
    settings.ATLASSIAN_API_URL = fake.url
    settings.ATLASSIAN_CLIENT_ID = fake.client_id
    settings.ATLASSIAN_CLIENT_SECRET = fake.client_secret
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 1.0
    yield fake
    fake.stop()


def jira_connection_to(fake, owner, *, project="SHOP", issue_type="Story") -> Connection:
    """A working OAuth connection of `owner`'s to `project`'s `issue_type` on the demo site,
    made as the connect flow and the target page make it."""
    access, refresh = fake.grant()
    connection = create_connection(
        owner=owner, created_by=owner, kind="jira", auth=Connection.Auth.OAUTH,
        base_url=fake.demo.url, account_ref=fake.demo.cloud_id, access_token=access,
        refresh_token=refresh, expires_at=timezone.now() + timedelta(hours=1))
    destination = next(d for d in JiraTracker(connection, token=access).destinations()
                       if d.target["project_key"] == project
                       and d.target["issue_type"] == issue_type)
    return choose_target(connection=connection, target=destination.target,
                         label=destination.label)


@pytest.fixture
def jira_connection(jira_fake, user):
    """`user`'s connection to SHOP · Story on the fake (Story Points and Acceptance Criteria
    custom fields, priority, labels, parent)."""
    return jira_connection_to(jira_fake, user)


@pytest.fixture
def jira_tracker(jira_connection):
    return JiraTracker(jira_connection, token=jira_connection.access_token)
