"""The fake Slack behaves like Slack where our code depends on it: response URLs last 30
minutes and take 5 posts, chat.postMessage checks the bot token and the channel; and its page
(for `make run`, labelled as a local fake, built with MyBA's own settings) plays Slack
against a running MyBA, from the command to the ticket posted back."""

import html

import pytest
import requests

from integrations.fakes.slack import FAKE_BOT_TOKEN, FakeSlack
from integrations.slack import client
from integrations.trackers.base import TrackerError
from tests.builders import funded_user
from tests.helpers import wait_until
from tests.integrations.fixtures_slack import SIGNING_SECRET, link_slack_user
from tickets.models import Ticket


def test_a_response_url_takes_five_posts_then_404_used_url(fake_slack):
    url = fake_slack.response_url()
    for number in range(5):
        client.post_to_response_url(url, {"text": f"answer {number}"})
    with pytest.raises(TrackerError) as error:
        client.post_to_response_url(url, {"text": "one too many"})
    assert error.value.kind == "missing"
    assert [m.text for m in fake_slack.messages(url)] == [f"answer {n}" for n in range(5)]


def test_an_expired_response_url_answers_404_expired_url(fake_slack):
    url = fake_slack.response_url()
    fake_slack.expire(url)
    response = requests.post(url, json={"text": "late"}, timeout=5)
    assert (response.status_code, response.text) == (404, "expired_url")


def test_post_message_checks_the_bot_token_and_the_channel(fake_slack, settings):
    client.post_message("C0GENERAL", {"response_type": "in_channel", "text": "hello"})
    with pytest.raises(TrackerError) as unknown:
        client.post_message("C0NOWHERE", {"text": "hello"})
    settings.SLACK_BOT_TOKEN = "xoxb-wrong"  # noqa: S105
    with pytest.raises(TrackerError) as refused:
        client.post_message("C0GENERAL", {"text": "hello"})
    assert (unknown.value.kind, refused.value.kind) == ("missing", "auth")
    [posted] = fake_slack.messages()
    assert (posted.via, posted.channel, posted.body) == (
        "chat.postMessage", "C0GENERAL", {"channel": "C0GENERAL", "text": "hello"})


def test_slack_being_down_is_a_retry(fake_slack):
    fake_slack.fail("POST", "/hooks/", "500")
    with pytest.raises(TrackerError) as error:
        client.post_to_response_url(fake_slack.response_url(), {"text": "hi"})
    assert error.value.kind == "retry"


@pytest.mark.django_db(transaction=True)
def test_the_demo_page_plays_slack_against_a_running_myba(live_server, settings, celery_worker,
                                                         offline):
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SITE_URL = live_server.url
    with FakeSlack(port=0) as fake:  # as `make run` makes it: MyBA's settings
        fake.seed_demo()
        settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN = fake.api_url, FAKE_BOT_TOKEN
        link_slack_user(funded_user(5), team_id="T0ACME", user_id="U0DEMO")
        page = requests.get(fake.url, timeout=5).text
        assert "Local fake of Slack — Acme (local fake)" in page

        requests.post(f"{fake.url}/send", data={"text": ""}, timeout=10)
        requests.post(f"{fake.url}/send", data={"text": "too short"}, timeout=10)

        page = requests.get(fake.url, timeout=5).text
        assert "Describe the work after the command" in page
        assert "at least 20 characters" in page

        requests.post(f"{fake.url}/send", timeout=10, data={
            "text": "Let shoppers save their cart and come back to it on another device"})
        [result] = wait_until(lambda: [m for m in fake.messages() if m.blocks_of("header")])
        title = Ticket.objects.get().title
        assert result.blocks_of("header")[0]["text"]["text"] == title
        assert html.escape(title) in requests.get(fake.url, timeout=5).text
