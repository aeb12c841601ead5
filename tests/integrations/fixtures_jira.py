"""Fixtures for the jira fake (real HTTP on 127.0.0.1): the fake Atlassian (OAuth server and
Jira Cloud site "acme" with projects SHOP and OPS) wired into the settings, and a working
connection to SHOP's Story issue type."""

import pytest

from integrations.fakes.jira import FakeAtlassian
from integrations.models import Connection
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
    its target completed by the client as the target page does."""
    access, refresh = fake.grant()
    connection = Connection.objects.create(
        owner=owner, created_by=owner, kind="jira", auth=Connection.Auth.OAUTH,
        base_url=fake.demo.url, account_ref=fake.demo.cloud_id, access_token=access,
        refresh_token=refresh, label=f"{project} on acme")
    tracker = JiraTracker(connection, token=access)
    destination = next(d for d in tracker.destinations()
                       if d.target["project_key"] == project
                       and d.target["issue_type"] == issue_type)
    connection.target = tracker.prepare_target(destination.target)
    connection.health = Connection.Health.OK
    connection.save()
    return connection


@pytest.fixture
def jira_connection(jira_fake, user):
    """`user`'s connection to SHOP · Story on the fake (Story Points and Acceptance Criteria
    custom fields, priority, labels, parent)."""
    return jira_connection_to(jira_fake, user)


@pytest.fixture
def jira_tracker(jira_connection):
    return JiraTracker(jira_connection, token=jira_connection.access_token)
