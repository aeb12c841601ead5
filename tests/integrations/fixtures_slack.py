"""Fixtures for the slack fake (real HTTP on 127.0.0.1): the fake wired in as Slack, a way to
send it signed requests to MyBA as Slack does, and a Slack user linked to a funded account."""

from urllib.parse import urlencode

import pytest

from integrations.fakes.slack import FAKE_BOT_TOKEN, FakeSlack, signed_headers
from integrations.slack import linking

__all__ = ["fake_slack"]

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105 (the tests' own)
COMMAND_PATH = "/integrations/slack/commands/"
INTERACTIVITY_PATH = "/integrations/slack/interactivity/"


@pytest.fixture
def fake_slack(settings):
    """A fake Slack with our app's signing secret and bot token, and fast retries."""
    server = FakeSlack(bot_token=FAKE_BOT_TOKEN, signing_secret=SIGNING_SECRET,
                       hold_seconds=2.0).start()
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_BOT_TOKEN = FAKE_BOT_TOKEN
    settings.SLACK_API_URL = server.api_url
    settings.SITE_URL = "https://myba.test"
    settings.INTEGRATIONS_TIMEOUT_SECONDS = 1.0
    settings.PUSH_RETRY_DELAYS = [0.05, 0.05, 0.05, 0.05]
    settings.PUSH_RETRY_AFTER_MAX = 1.0
    yield server
    server.stop()


def send_to_myba(client, path: str, data: dict, *, secret: str = SIGNING_SECRET,
                 timestamp: int | None = None, headers: dict | None = None):
    """POST `data` form-encoded to MyBA, signed as Slack signs it (or with `headers`)."""
    body = urlencode(data).encode()
    signed = signed_headers(body, secret, timestamp=timestamp)
    signed.pop("Content-Type")
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                       headers=signed if headers is None else headers)


def link_slack_user(user, *, team_id: str = "T0FAKE", user_id: str = "U0FAKE",
                    organization=None):
    """Link a Slack user to `user` through the linking service, as the confirm page does."""
    invite = linking.read_link_token(linking.make_link_token(team_id=team_id, user_id=user_id))
    return linking.link_slack_user(user=user, invite=invite, organization=organization)
