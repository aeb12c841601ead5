"""Connecting GitLab from the site: a project access token checked against its project (on
the configured instance, or a public self-hosted one), "Connect with GitLab" through the
fake's sign-in page, the state and CSRF checks, bad input that saves nothing, reconnecting."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from integrations.fakes.gitlab import DEMO_PROJECT, DEMO_TOKEN
from integrations.models import Connection
from tests.builders import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONNECT = "/integrations/gitlab/"
CALLBACK = "http://testserver/integrations/gitlab/callback/"


@pytest.fixture
def browser(gitlab_fake, user):
    return client_for(user)


def post_token(browser, gitlab_fake, *, token=DEMO_TOKEN, project=DEMO_PROJECT, **extra):
    data = {"instance": gitlab_fake.url, "project": project, "token": token, **extra}
    return browser.post(reverse("integrations:gitlab_connect"), data)


def start_oauth(browser) -> tuple[str, str]:
    """POST "Connect with GitLab": (the sign-in page's address, the state)."""
    response = browser.post(reverse("integrations:gitlab_authorize"))
    return response["Location"], parse_qs(urlsplit(response["Location"]).query)["state"][0]


def test_the_page_offers_oauth_and_the_token(browser, settings):
    assert reverse("integrations:gitlab_connect") == CONNECT
    page = browser.get(CONNECT).content.decode()
    assert "Connect with GitLab" in page and "Project access token" in page
    settings.GITLAB_OAUTH_CLIENT_SECRET = ""
    assert "Connect with GitLab" not in browser.get(CONNECT).content.decode()
    assert browser.post(reverse("integrations:gitlab_authorize")).status_code == 404


@pytest.mark.parametrize("project", [DEMO_PROJECT, "https://gitlab.example/acme/shop/-/issues"])
def test_a_pasted_token_is_checked_then_saved(browser, user, gitlab_fake, project):
    response = post_token(browser, gitlab_fake, project=project)

    connection = Connection.objects.get()
    assert response["Location"] == reverse("integrations:target", args=[connection.pk])
    assert (connection.owner, connection.kind, connection.auth) == (user, "gitlab", "token")
    assert connection.base_url == gitlab_fake.url and connection.account_ref == DEMO_PROJECT
    assert connection.access_token == DEMO_TOKEN
    assert DEMO_PROJECT in browser.get(response["Location"]).content.decode()


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"token": "glpat-wrong"}, "token", "does not accept this token"),
    ({"project": "acme/other"}, "project", "has no project acme/other"),
    ({"token": "glpat-guest"}, "token", "Reporter role"),
    ({"project": "shop"}, "project", "as group/project"),
    ({"instance": "http://gitlab.example.com"}, "instance", "https"),
    ({"instance": "https://10.1.2.3"}, "instance", "private network"),
    ({"instance": "https://127.0.0.1:6379"}, "instance", "private network"),
    ({"token": ""}, "token", "required"),
])
def test_bad_input_is_explained_and_saves_nothing(browser, gitlab_fake, values, field, words):
    gitlab_fake.add_token("glpat-guest", DEMO_PROJECT, level=10)
    requests_before = len(gitlab_fake.requests)
    response = post_token(browser, gitlab_fake, **values)
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    assert not Connection.objects.exists()
    if field in ("instance", "project") and "has no" not in words:
        assert len(gitlab_fake.requests) == requests_before  # refused before any call


def test_the_token_form_needs_csrf(gitlab_fake, user):
    browser = client_for(user, enforce_csrf_checks=True)
    assert post_token(browser, gitlab_fake).status_code == 403
    assert not Connection.objects.exists()


def test_connect_with_gitlab_through_the_sign_in_page(browser, user, gitlab_fake):
    location, state = start_oauth(browser)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{gitlab_fake.url}/oauth/authorize?")
    assert query["scope"] == ["api"] and query["redirect_uri"] == [CALLBACK]
    assert query["client_id"] == ["local-fake"] and query["response_type"] == ["code"]

    page = requests.get(location, timeout=5)
    assert "Local fake of GitLab" in page.text and "Deny" in page.text
    code = gitlab_fake.codes and next(iter(gitlab_fake.codes))
    done = browser.get(reverse("integrations:gitlab_callback"), {"code": code, "state": state})

    connection = Connection.objects.get()
    assert done["Location"] == reverse("integrations:target", args=[connection.pk])
    assert connection.auth == "oauth" and connection.base_url == gitlab_fake.url
    assert connection.access_token.startswith("gloas-") and connection.refresh_token
    assert connection.expires_at is not None
    choose = browser.get(done["Location"]).content.decode()
    assert "acme/shop" in choose and "acme/website" in choose


def test_the_callback_refuses_a_state_it_did_not_give_and_a_replay(browser, gitlab_fake):
    forged = browser.get(reverse("integrations:gitlab_callback"),
                         {"code": "anything", "state": "forged"})
    assert forged.status_code == 400 and "not started from this page" in forged.content.decode()

    location, state = start_oauth(browser)
    requests.get(location, timeout=5)
    code = next(iter(gitlab_fake.codes))
    callback = {"code": code, "state": state}
    assert browser.get(reverse("integrations:gitlab_callback"), callback).status_code == 302
    assert browser.get(reverse("integrations:gitlab_callback"), callback).status_code == 400
    assert Connection.objects.count() == 1


@pytest.mark.parametrize(("query", "words"), [
    ({"error": "access_denied"}, "denied or cancelled"),
    ({"code": "not-a-code"}, "connect GitLab again"),
])
def test_a_denied_or_failed_sign_in_saves_nothing(browser, query, words):
    _, state = start_oauth(browser)
    page = browser.get(reverse("integrations:gitlab_callback"), {**query, "state": state})
    assert page.status_code == 400 and words in page.content.decode()
    assert not Connection.objects.exists()


def test_reconnecting_a_broken_connection_keeps_it(browser, gitlab_connection, gitlab_fake):
    Connection.objects.filter(pk=gitlab_connection.pk).update(
        health=Connection.Health.BROKEN, problem="GitLab no longer accepts the token.")
    gitlab_fake.add_token("glpat-new", DEMO_PROJECT)
    response = post_token(browser, gitlab_fake, token="glpat-new",
                          reconnect=gitlab_connection.pk)
    assert response["Location"] == reverse("integrations:connections")
    connection = Connection.objects.get()
    assert connection.pk == gitlab_connection.pk and connection.access_token == "glpat-new"
    assert connection.health == Connection.Health.OK


def test_another_workspaces_connection_cannot_be_reconnected(gitlab_fake, gitlab_connection):
    stranger = client_for(UserFactory())
    assert stranger.get(CONNECT, {"reconnect": gitlab_connection.pk}).status_code == 404
    assert post_token(stranger, gitlab_fake, reconnect=gitlab_connection.pk).status_code == 404
    assert stranger.post(reverse("integrations:gitlab_authorize") +
                         f"?reconnect={gitlab_connection.pk}").status_code == 404
