"""Linking a Slack user to a MyBA account once: the link an unknown Slack user gets, the
confirm page (who pays), tokens that expire after 15 minutes and work once, and the settings
card that lists and unlinks — never anyone else's."""

import re
import time

import pytest
from django.core import signing

from accounts.teams.models import Membership
from accounts.teams.services import create_organization
from integrations.slack import linking
from integrations.slack.models import SlackLink
from tests.builders import client_for, funded_user, make_verified_user
from tests.integrations.fixtures_slack import COMMAND_PATH, link_slack_user, send_to_myba
from tickets.models import Ticket

DESCRIPTION = "Let shoppers save their cart and come back to it on another device later"
LINK = re.compile(r"https://myba\.test(/integrations/slack/link/[^/|>]+/)")


def link_path_from_slack(fake_slack, **who) -> str:
    answer = send_to_myba(client_for(), COMMAND_PATH,
                          fake_slack.command(DESCRIPTION, **who)).json()
    return LINK.search(answer["text"]).group(1)


def expired_token(team_id="T0FAKE", user_id="U0FAKE") -> str:
    class SixteenMinutesAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 16 * 60)

    return SixteenMinutesAgo(salt=linking.TOKEN_SALT).sign_object(
        {"t": team_id, "u": user_id, "n": "0" * 32}, compress=True)


@pytest.fixture
def person(db):
    return funded_user(5, email="pat@example.com")


def test_an_unknown_slack_user_gets_a_link_and_nothing_is_generated(fake_slack, prices):
    answer = send_to_myba(client_for(), COMMAND_PATH, fake_slack.command(DESCRIPTION)).json()
    assert answer["response_type"] == "ephemeral"
    assert "link your MyBA account" in answer["text"]
    assert answer["blocks"][1]["elements"][0]["url"].startswith(
        "https://myba.test/integrations/slack/link/")
    assert not Ticket.objects.exists()
    assert not SlackLink.objects.exists()


def test_slacks_ssl_check_is_answered(fake_slack, db):
    response = send_to_myba(client_for(), COMMAND_PATH, {"ssl_check": "1", "token": "x"})
    assert response.status_code == 200 and not SlackLink.objects.exists()


def test_the_link_asks_to_sign_in_first(fake_slack, db):
    path = link_path_from_slack(fake_slack)
    response = client_for().get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_linking_to_the_personal_account_then_the_token_is_used(fake_slack, person):
    path = link_path_from_slack(fake_slack)
    client = client_for(person)

    page = client.get(path)
    assert page.status_code == 200
    assert b"My own account" in page.content
    # Who is being linked, so nobody links a stranger's Slack account by a forwarded link.
    assert "<strong>@you in fake.slack.com</strong> (<code>U0FAKE</code>)" in (
        page.content.decode())
    response = client.post(path, {"pays": "personal"}, follow=True)

    link = SlackLink.objects.get()
    assert (link.slack_team_id, link.slack_user_id, link.user, link.organization) == (
        "T0FAKE", "U0FAKE", person, None)
    assert (link.slack_user_name, link.slack_team_domain) == ("you", "fake")
    assert b"your own account" in response.content  # the settings card lists it
    again = client_for(person).post(path, {"pays": "personal"})
    assert again.status_code == 400
    assert b"already used" in again.content
    assert SlackLink.objects.count() == 1


def test_linking_to_a_team_where_one_may_generate(fake_slack, person):
    team = create_organization(user=person, name="Acme")
    watched = create_organization(user=make_verified_user(), name="Zed")
    Membership.objects.create(organization=watched, user=person, role="viewer")
    path = link_path_from_slack(fake_slack)
    client = client_for(person)

    page = client.get(path).content.decode()
    assert "Acme’s pool" in page and "Zed’s pool" not in page
    refused = client.post(path, {"pays": str(watched.pk)})
    assert refused.status_code == 400 and not SlackLink.objects.exists()
    client.post(path, {"pays": str(team.pk)})
    assert SlackLink.objects.get().organization == team


@pytest.mark.parametrize("choice", ["", "nobody", "999999"])
def test_no_or_a_bad_choice_links_nothing(fake_slack, person, choice):
    path = link_path_from_slack(fake_slack)
    response = client_for(person).post(path, {"pays": choice})
    assert response.status_code == 400
    assert "Choose who pays" in response.content.decode()
    assert not SlackLink.objects.exists()


def test_an_expired_token_is_refused(person):
    path = f"/integrations/slack/link/{expired_token()}/"
    for response in (client_for(person).get(path),
                     client_for(person).post(path, {"pays": "personal"})):
        assert response.status_code == 400
        assert "expired" in response.content.decode()
    assert not SlackLink.objects.exists()


def test_a_forged_token_is_refused(person):
    forged = signing.dumps({"t": "T0FAKE", "u": "U0FAKE", "n": "1" * 32}, salt="another salt")
    response = client_for(person).post(f"/integrations/slack/link/{forged}/",
                                       {"pays": "personal"})
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not SlackLink.objects.exists()


def test_a_slack_user_links_to_one_account_only(fake_slack, person):
    path = link_path_from_slack(fake_slack)
    link_slack_user(make_verified_user())  # someone else linked it meanwhile
    response = client_for(person).post(path, {"pays": "personal"})
    assert response.status_code == 400 and "already linked" in response.content.decode()
    assert SlackLink.objects.get().user != person


def test_the_confirm_form_needs_the_csrf_token(fake_slack, person):
    path = link_path_from_slack(fake_slack)
    client = client_for(person, enforce_csrf_checks=True)
    assert client.post(path, {"pays": "personal"}).status_code == 403
    assert not SlackLink.objects.exists()


def test_the_card_lists_and_unlinks_only_ones_own_links(person):
    mine = link_slack_user(person)
    theirs = link_slack_user(make_verified_user(), user_id="U0OTHER")
    client = client_for(person)

    page = client.get("/integrations/slack/").content.decode()
    assert "U0FAKE" in page and "U0OTHER" not in page
    assert client.post(f"/integrations/slack/links/{theirs.pk}/unlink/").status_code == 404
    assert SlackLink.objects.filter(pk=theirs.pk).exists()
    response = client.post(f"/integrations/slack/links/{mine.pk}/unlink/",
                           {"next": "https://evil.example/"})
    assert response["Location"] == "/integrations/slack/"
    assert not SlackLink.objects.filter(pk=mine.pk).exists()
    assert "No Slack account linked" in client.get("/integrations/slack/").content.decode()


def test_after_unlinking_slack_asks_to_link_again(fake_slack, person, prices):
    link = link_slack_user(person)
    linking.unlink_slack_user(link=link)
    answer = send_to_myba(client_for(), COMMAND_PATH, fake_slack.command(DESCRIPTION)).json()
    assert LINK.search(answer["text"])
    assert not Ticket.objects.exists()
