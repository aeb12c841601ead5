"""Fixtures for the gitlab fake (real HTTP on 127.0.0.1): the fake with its demo project
`acme/shop`, the OAuth application configured, and connections by project access token and
by OAuth."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.fakes.gitlab import DEMO_CLIENT, DEMO_PROJECT, DEMO_TOKEN, FakeGitLab
from integrations.models import Connection, Kind
from integrations.trackers.gitlab import exchange_code


@pytest.fixture
def gitlab_fake(settings):
    """The fake GitLab with `acme/shop` (token `glpat-local-fake`; OAuth app `local-fake`),
    GITLAB_URL pointed at it."""
    with FakeGitLab(hold_seconds=1.5) as fake:
        fake.seed_demo()
        settings.GITLAB_URL = fake.url
        settings.GITLAB_OAUTH_CLIENT_ID = settings.GITLAB_OAUTH_CLIENT_SECRET = DEMO_CLIENT
        settings.SITE_URL = "http://testserver"
        settings.INTEGRATIONS_TIMEOUT_SECONDS = 1.0
        yield fake


@pytest.fixture
def gitlab_connection(gitlab_fake, user):
    """A working connection of `user`'s by project access token, sending to acme/shop."""
    project = gitlab_fake.projects[DEMO_PROJECT]
    return Connection.objects.create(
        owner=user, kind=Kind.GITLAB, auth=Connection.Auth.TOKEN, base_url=gitlab_fake.url,
        account_ref=DEMO_PROJECT, access_token=DEMO_TOKEN,
        target={"project_id": project.id, "path": DEMO_PROJECT}, label=DEMO_PROJECT,
        health=Connection.Health.OK)


@pytest.fixture
def gitlab_oauth_connection(gitlab_fake, user):
    """A connection of `user`'s signed in with OAuth (a first token pair already taken), no
    destination chosen yet."""
    code = "first-code"
    gitlab_fake.codes[code] = "http://testserver/integrations/gitlab/callback/"
    grant = exchange_code(gitlab_fake.url, code=code,
                          redirect_uri="http://testserver/integrations/gitlab/callback/")
    return Connection.objects.create(
        owner=user, kind=Kind.GITLAB, auth=Connection.Auth.OAUTH, base_url=gitlab_fake.url,
        access_token=grant.access_token, refresh_token=grant.refresh_token,
        expires_at=grant.expires_at or datetime.now(UTC) + timedelta(hours=2))
