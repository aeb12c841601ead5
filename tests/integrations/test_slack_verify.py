"""Every request from Slack is checked: a bad signature, an old or replayed timestamp, a
missing secret → 401, and nothing happens (no ticket, no hold, no message)."""

import time

import pytest

from integrations.slack.models import SlackPost
from tests.builders import client_for, funded_user
from tests.helpers import user_balance
from tests.integrations.fixtures_slack import (
    COMMAND_PATH,
    INTERACTIVITY_PATH,
    SIGNING_SECRET,
    link_slack_user,
    send_to_myba,
)
from tickets.models import Ticket
from tokens.models import Hold

DESCRIPTION = "Let shoppers save their cart and come back to it on another device later"


@pytest.fixture
def linked(fake_slack, prices):
    user = funded_user(5)
    link_slack_user(user)
    return user


def assert_nothing_happened(user):
    assert not Ticket.objects.exists()
    assert not Hold.objects.exists()
    assert not SlackPost.objects.exists()
    assert user_balance(user) == 5


def test_a_correctly_signed_command_is_accepted(linked, fake_slack):
    response = send_to_myba(client_for(), COMMAND_PATH, fake_slack.command(DESCRIPTION))
    assert response.status_code == 200
    assert "Writing your ticket" in response.json()["text"]
    assert Ticket.objects.get().owner == linked


@pytest.mark.parametrize("case", ["wrong_secret", "tampered_body", "no_headers",
                                  "malformed_signature"])
def test_a_badly_signed_command_is_refused_and_generates_nothing(linked, fake_slack, case):
    data = fake_slack.command(DESCRIPTION)
    client = client_for()
    if case == "wrong_secret":
        response = send_to_myba(client, COMMAND_PATH, data, secret="guessed")
    elif case == "tampered_body":
        # Signed for one text, sent with another: the signature covers the raw body.
        from urllib.parse import urlencode

        from integrations.fakes.slack import signed_headers

        headers = signed_headers(urlencode(data).encode(), SIGNING_SECRET)
        headers.pop("Content-Type")
        response = send_to_myba(client, COMMAND_PATH, {**data, "text": DESCRIPTION + "!"},
                                headers=headers)
    elif case == "no_headers":
        response = send_to_myba(client, COMMAND_PATH, data, headers={})
    else:
        response = send_to_myba(client, COMMAND_PATH, data, headers={
            "X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "sha1=x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert_nothing_happened(linked)


# Ten seconds past the limit either way: `int(time.time())` and the time the request takes
# would make exactly 301 s land on either side of it.
@pytest.mark.parametrize("age", [310, 3600, -310])
def test_a_timestamp_more_than_five_minutes_away_is_refused(linked, fake_slack, age):
    response = send_to_myba(client_for(), COMMAND_PATH, fake_slack.command(DESCRIPTION),
                            timestamp=int(time.time()) - age)
    assert response.status_code == 401
    assert_nothing_happened(linked)


def test_a_replayed_request_is_refused_even_within_five_minutes(linked, fake_slack):
    data = fake_slack.command(DESCRIPTION)
    stamp = int(time.time()) - 10
    first = send_to_myba(client_for(), COMMAND_PATH, data, timestamp=stamp)
    again = send_to_myba(client_for(), COMMAND_PATH, data, timestamp=stamp)
    assert first.status_code == 200
    assert again.status_code == 401
    assert Ticket.objects.count() == 1


def test_interactions_are_verified_too(linked, fake_slack):
    response = send_to_myba(client_for(), INTERACTIVITY_PATH,
                            fake_slack.shortcut(DESCRIPTION), secret="guessed")
    assert response.status_code == 401
    assert_nothing_happened(linked)


def test_without_a_signing_secret_every_request_is_refused(linked, fake_slack, settings):
    settings.SLACK_SIGNING_SECRET = ""
    response = send_to_myba(client_for(), COMMAND_PATH, fake_slack.command(DESCRIPTION))
    assert response.status_code == 401
    assert_nothing_happened(linked)


def test_slack_endpoints_answer_only_post(fake_slack):
    assert client_for().get(COMMAND_PATH).status_code == 405
