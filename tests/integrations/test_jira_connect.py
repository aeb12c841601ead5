"""Connecting Jira Cloud through the fake Atlassian (real HTTP): consent, state checks, Deny,
several sites, bad input and reconnecting. Nothing is connected unless the whole flow
succeeds."""

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from integrations.models import Connection
from integrations.services.connections import mark_broken
from tests.builders import client_for
from tests.integrations.fixtures_jira import jira_connection_to

pytestmark = pytest.mark.django_db
START = reverse("integrations:jira_connect")
CALLBACK = reverse("integrations:jira_callback")
SITE = reverse("integrations:jira_site")


def consent(client, choice: str = "allow", *, data=None) -> dict:
    """Start the flow and click Allow (or Deny) on the fake's consent page: the query string
    Atlassian sends the browser back with."""
    response = client.post(START, data or {})
    assert response.status_code == 302
    page = requests.get(response["Location"], timeout=5)
    assert "Local fake of Atlassian" in page.text
    link = re.search(rf'class="{choice}" href="([^"]+)"', page.text)[1]
    back = urlsplit(html.unescape(link))
    assert back.path == CALLBACK
    return {key: values[0] for key, values in parse_qs(back.query).items()}


def test_the_start_goes_to_atlassian_with_the_documented_parameters(jira_fake, user):
    response = client_for(user).post(START)
    url = urlsplit(response["Location"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{jira_fake.url}/authorize"
    assert query["audience"] == "api.atlassian.com"
    assert query["client_id"] == jira_fake.client_id
    assert query["scope"] == "read:jira-work write:jira-work offline_access read:jira-user"
    assert query["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert query["response_type"] == "code" and query["prompt"] == "consent"
    assert len(query["state"]) >= 32


def test_allow_connects_the_one_site_and_asks_for_the_destination(jira_fake, user):
    client = client_for(user)
    response = client.get(CALLBACK, consent(client))

    connection = Connection.objects.get(owner=user)
    assert response["Location"] == reverse("integrations:target", args=[connection.pk])
    assert connection.kind == "jira" and connection.auth == "oauth"
    assert connection.account_ref == jira_fake.demo.cloud_id
    assert connection.base_url == jira_fake.demo.url
    assert connection.access_token in jira_fake.access_tokens
    assert connection.refresh_token in jira_fake.refresh_tokens
    assert connection.expires_at is not None
    assert connection.health == "needs_target"


def test_the_target_page_stores_the_chosen_issue_types_field_mapping(jira_fake, user):
    client = client_for(user)
    client.get(CALLBACK, consent(client))
    connection = Connection.objects.get(owner=user)

    page = client.get(reverse("integrations:target", args=[connection.pk]))
    assert "SHOP · Story on acme" in page.content.decode()
    values = [html.unescape(v) for v in re.findall(r'name="target" id="[^"]+" value="([^"]+)"',
                                                   page.content.decode())]
    value = next(v for v in values if json.loads(v)["project_key"] == "SHOP"
                 and json.loads(v)["issue_type"] == "Story")
    client.post(reverse("integrations:target", args=[connection.pk]), {"target": value})

    connection.refresh_from_db()
    assert connection.health == "ok"
    assert connection.target["fields"]["story_points"]["name"] == "Story Points"
    assert connection.target["epic"]["issue_type"] == "Epic"


def test_deny_connects_nothing_and_says_so(jira_fake, user):
    client = client_for(user)
    response = client.get(CALLBACK, consent(client, "deny"), follow=True)
    assert not Connection.objects.exists()
    assert "You did not allow MyBA to use Jira" in response.content.decode()


def test_a_state_that_is_not_ours_is_refused(jira_fake, user):
    client = client_for(user)
    answer = consent(client)
    response = client.get(CALLBACK, {**answer, "state": "forged"})
    assert response.status_code == 400
    assert "does not belong to a connection you started" in response.content.decode()
    # The state was one use: the genuine answer cannot be replayed after it either.
    assert client.get(CALLBACK, answer).status_code == 400
    assert not Connection.objects.exists()
    assert jira_fake.calls("POST", r"/oauth/token$") == []


def test_an_answer_for_another_user_is_refused(jira_fake, user, verified_user):
    answer = consent(client_for(user))
    response = client_for(verified_user).get(CALLBACK, answer)
    assert response.status_code == 400
    assert not Connection.objects.exists()


def test_missing_or_refused_code_connects_nothing(jira_fake, user):
    client = client_for(user)
    answer = consent(client)
    assert client.get(CALLBACK, {"state": answer["state"]}).status_code == 400

    answer = consent(client)
    response = client.get(CALLBACK, {**answer, "code": "not-a-code"})
    assert response.status_code == 502
    assert "Atlassian refused" in response.content.decode()
    assert not Connection.objects.exists()


def test_several_sites_let_the_user_pick_one(jira_fake, user):
    other = jira_fake.add_site("globex")
    jira_fake.add_project(other, "OPS", simple=True)
    client = client_for(user)
    response = client.get(CALLBACK, consent(client))
    assert response["Location"] == SITE
    page = client.get(SITE).content.decode()
    assert "acme" in page and "globex" in page
    assert not Connection.objects.exists()

    refused = client.post(SITE, {"site": "not-a-site"})
    assert refused.status_code == 400
    assert "Choose one of the sites listed" in refused.content.decode()
    assert not Connection.objects.exists()

    response = client.post(SITE, {"site": other.cloud_id})
    connection = Connection.objects.get(owner=user)
    assert response["Location"] == reverse("integrations:target", args=[connection.pk])
    assert (connection.account_ref, connection.base_url) == (other.cloud_id, other.url)
    assert connection.access_token in jira_fake.access_tokens
    # The choice is made once.
    assert client.post(SITE, {"site": other.cloud_id})["Location"] == START


def test_without_an_atlassian_app_the_page_says_why(jira_fake, user, settings):
    settings.ATLASSIAN_CLIENT_ID = ""
    client = client_for(user)
    page = client.get(START)
    assert "ATLASSIAN_CLIENT_ID" in page.content.decode()
    assert "Continue to Atlassian" not in page.content.decode()
    assert client.post(START).status_code == 400


def test_a_broken_connection_is_reconnected_in_place(jira_fake, user):
    connection = jira_connection_to(jira_fake, user)
    mark_broken(connection=connection, problem="Jira refused the token.")
    client = client_for(user)
    assert "Reconnect with Atlassian" in client.get(
        START, {"reconnect": connection.pk}).content.decode()

    response = client.get(CALLBACK, consent(client, data={"reconnect": connection.pk}))

    assert response["Location"] == reverse("integrations:connections")
    assert Connection.objects.count() == 1
    fresh = Connection.objects.get()
    assert fresh.health == "ok" and fresh.problem == ""
    assert fresh.access_token != connection.access_token
    assert fresh.target == connection.target


def test_someone_elses_connection_cannot_be_reconnected(jira_fake, user, verified_user):
    connection = jira_connection_to(jira_fake, user)
    client = client_for(verified_user)
    assert client.get(START, {"reconnect": connection.pk}).status_code == 404
    assert client.post(START, {"reconnect": connection.pk}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(jira_fake, client):
    assert "/accounts/login/" in client.get(START)["Location"]
    assert "/accounts/login/" in client.get(CALLBACK)["Location"]

