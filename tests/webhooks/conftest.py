"""Webhooks: a local receiver that checks signatures, and short retry delays."""

import pytest

from accounts.webhooks.services import save_webhook_endpoint
from tests.webhooks.receiver import WebhookReceiver

# Retry delays in tests: fast, but long enough to tell a Retry-After from the backoff.
FAST_RETRIES = [0.05, 0.05, 0.05, 0.05, 0.05]


@pytest.fixture
def receiver(settings):
    """A local receiver on 127.0.0.1 (plain http to localhost allowed), with fast retries."""
    settings.WEBHOOKS_ALLOW_HTTP_LOCALHOST = True
    settings.WEBHOOKS_RETRY_DELAYS = FAST_RETRIES
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def subscribe(receiver):
    """subscribe(user=None, *, organization=None, actor=None, events=...): an endpoint at
    the receiver for `user`'s personal workspace or `organization`; the receiver learns its
    secret."""
    def make(user=None, *, organization=None, actor=None,
             events=("ticket.completed", "ticket.failed")):
        endpoint = save_webhook_endpoint(
            owner=None if organization else user, organization=organization,
            url=receiver.url, events=list(events), actor=actor or user)
        receiver.secret = endpoint.secret
        return endpoint

    return make


# The teams' fixtures (`owner`, `team` with a funded pool, `add_member`), for team endpoints.
from tests.teams.conftest import add_member, owner, team  # noqa: E402,F401
