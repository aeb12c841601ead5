"""Connecting GitHub from the site: a pasted fine-grained token checked against its
repository, the GitHub App installed through the fake's installation page and verified by
minting a token, the state and CSRF checks, bad input that saves nothing, and reconnecting."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from accounts.teams.models import Membership
from accounts.teams.selectors import WORKSPACE_SESSION_KEY
from accounts.teams.services import create_organization
from integrations.fakes.github import DEMO_REPO, DEMO_TOKEN
from integrations.models import Connection
from tests.builders import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONNECT = "/integrations/github/"


@pytest.fixture
def browser(github_fake, user):
    return client_for(user)


def post_token(browser, token=DEMO_TOKEN, repository=DEMO_REPO, **extra):
    return browser.post(reverse("integrations:github_connect"),
                        {"token": token, "repository": repository, **extra})


def test_the_page_offers_the_app_and_the_token(browser):
    assert reverse("integrations:github_connect") == CONNECT
    page = browser.get(CONNECT).content.decode()
    assert "Install the GitHub App" in page and "Fine-grained personal access token" in page


def test_without_an_app_only_the_token_is_offered(browser, settings):
    settings.GITHUB_APP_PRIVATE_KEY = ""
    assert "Install the GitHub App" not in browser.get(CONNECT).content.decode()
    assert browser.post(reverse("integrations:github_install")).status_code == 404


@pytest.mark.parametrize("repository", [DEMO_REPO, "https://github.com/acme/shop.git"])
def test_a_pasted_token_is_checked_then_saved(browser, user, github_fake, repository):
    response = post_token(browser, repository=repository)

    connection = Connection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:target", args=[connection.pk])
    assert (connection.owner, connection.kind, connection.auth) == (user, "github", "token")
    assert connection.account_ref == DEMO_REPO and connection.access_token == DEMO_TOKEN
    assert connection.health == Connection.Health.NEEDS_TARGET
    assert github_fake.calls("GET", r"^/repos/acme/shop$")
    # The destination page lists the repository the token was given for.
    assert DEMO_REPO in browser.get(response["Location"]).content.decode()


@pytest.mark.parametrize(("token", "repository", "field", "words"), [
    ("github_pat_wrong", DEMO_REPO, "token", "does not accept this token"),
    (DEMO_TOKEN, "acme/other", "repository", "has no repository acme/other"),
    ("read-only", DEMO_REPO, "token", "not write its issues"),
    (DEMO_TOKEN, "not a repository", "repository", "as owner/name"),
    ("", DEMO_REPO, "token", "required"),
])
def test_bad_input_is_explained_and_saves_nothing(browser, github_fake, token, repository,
                                                  field, words):
    github_fake.add_token("read-only", DEMO_REPO, push=False)
    response = post_token(browser, token=token, repository=repository)
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    assert token not in response.content.decode() or not token  # never echoed back
    assert not Connection.objects.exists()


def test_the_token_form_needs_csrf(github_fake, user):
    browser = client_for(user, enforce_csrf_checks=True)
    assert post_token(browser).status_code == 403
    assert not Connection.objects.exists()


def allow_on_github(github_fake, state: str) -> dict:
    """Allow on the fake's installation page: the query GitHub sends the browser back with."""
    back = requests.get(f"{github_fake.url}/apps/myba-test/installations/allow",
                        params={"state": state}, allow_redirects=False, timeout=5)
    return {key: values[0] for key, values in parse_qs(urlsplit(back.headers["Location"])
                                                       .query).items()}


def come_back(browser, github_fake, **changes):
    """Install the app from the site, allow it on the fake, come back with the redirect's
    query (`changes` edit it; None drops a key)."""
    response = browser.post(reverse("integrations:github_install"))
    query = allow_on_github(github_fake, parse_qs(urlsplit(response["Location"]).query)
                            ["state"][0])
    query.update(changes)
    return browser.get(reverse("integrations:github_setup"),
                       {key: value for key, value in query.items() if value is not None})


def test_installing_the_app_through_github_connects_it(browser, user, github_fake):
    response = browser.post(reverse("integrations:github_install"))
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == github_fake.url
    assert location.path == "/apps/myba-test/installations/new"
    state = parse_qs(location.query)["state"][0]

    # The browser on the fake installation page: Allow sends it back with the installation.
    page = requests.get(response["Location"], timeout=5)
    assert "Local fake of GitHub" in page.text and "Deny" in page.text
    query = allow_on_github(github_fake, state)
    assert query["state"] == state and query["setup_action"] == "install" and query["code"]

    done = browser.get(reverse("integrations:github_setup"), query)
    connection = Connection.objects.get()
    assert done["Location"] == reverse("integrations:target", args=[connection.pk])
    assert connection.auth == "app" and connection.account_ref == query["installation_id"]
    assert connection.access_token.startswith("ghs_") and connection.expires_at
    assert DEMO_REPO in browser.get(done["Location"]).content.decode()
    # Who came back was checked with the app's own client credentials.
    exchange = github_fake.calls("POST", r"^/login/oauth/access_token$")[0]
    assert parse_qs(exchange.body.decode())["client_secret"] == ["app-secret"]


def test_the_setup_page_refuses_a_state_it_did_not_give(browser, github_fake):
    response = browser.post(reverse("integrations:github_install"))
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    query = allow_on_github(github_fake, state)
    forged = browser.get(reverse("integrations:github_setup"), {**query, "state": "forged"})
    assert forged.status_code == 400 and "not started from this page" in forged.content.decode()

    response = browser.post(reverse("integrations:github_install"))
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    query = allow_on_github(github_fake, state)
    assert browser.get(reverse("integrations:github_setup"), query).status_code == 302
    assert browser.get(reverse("integrations:github_setup"), query).status_code == 400  # replay
    assert Connection.objects.count() == 1


def test_someone_elses_installation_cannot_be_claimed(browser, github_fake):
    """The redirect's installation_id is the browser's to edit: one the person's own GitHub
    account cannot see (another organization's) connects nothing."""
    theirs = github_fake.add_installation(DEMO_REPO)
    page = come_back(browser, github_fake, installation_id=str(theirs))
    assert page.status_code == 400
    assert "not one your GitHub account can see" in page.content.decode()
    assert not Connection.objects.exists()
    assert not github_fake.calls("POST", r"/access_tokens$")


@pytest.mark.parametrize(("changes", "words"), [
    ({"code": "guessed"}, "did not confirm who installed"),
    ({"code": None}, "did not confirm who installed"),
    ({"installation_id": None}, "did not say which installation"),
    ({"installation_id": "../x"}, "did not say which installation"),
    ({"setup_action": "request", "installation_id": None}, "approve the installation"),
])
def test_an_installation_that_cannot_be_used_saves_nothing(browser, github_fake, changes,
                                                           words):
    page = come_back(browser, github_fake, **changes)
    assert words in page.content.decode()
    assert not Connection.objects.exists()


def test_an_installation_removed_meanwhile_saves_nothing(browser, github_fake):
    github_fake.installations.clear()  # uninstalled before the token could be minted
    github_fake.add_installation = lambda *repos: 777  # the page's Allow names a gone one
    github_fake.user_installations.add(777)
    page = come_back(browser, github_fake)
    assert page.status_code == 400 and "no longer installed" in page.content.decode()
    assert not Connection.objects.exists()


def test_reconnecting_a_broken_connection_keeps_it_and_its_destination(
        browser, github_connection, github_fake):
    Connection.objects.filter(pk=github_connection.pk).update(
        health=Connection.Health.BROKEN, problem="GitHub no longer accepts the token.")
    github_fake.add_repo("acme/elsewhere")
    github_fake.add_token("github_pat_new", DEMO_REPO, "acme/elsewhere")
    page = browser.get(CONNECT, {"reconnect": github_connection.pk})
    assert "Reconnect GitHub" in page.content.decode()

    wrong = post_token(browser, token="github_pat_new", repository="acme/elsewhere",
                       reconnect=github_connection.pk)
    assert wrong.status_code == 400
    assert "sends to acme/shop" in " ".join(wrong.context["form"].errors["repository"])
    response = post_token(browser, token="github_pat_new", reconnect=github_connection.pk)
    assert response["Location"] == reverse("integrations:connections")
    connection = Connection.objects.get()
    assert connection.pk == github_connection.pk and connection.access_token == "github_pat_new"
    assert connection.health == Connection.Health.OK and connection.problem == ""


def test_another_workspaces_connection_cannot_be_reconnected(github_fake, github_connection):
    stranger = client_for(UserFactory())
    assert stranger.get(CONNECT, {"reconnect": github_connection.pk}).status_code == 404
    assert post_token(stranger, reconnect=github_connection.pk).status_code == 404
    assert Connection.objects.get().owner_id == github_connection.owner_id


def test_signed_out_visitors_are_sent_to_sign_in(github_fake):
    assert client_for().get(CONNECT).status_code == 302
    assert not Connection.objects.exists()


def in_team(user, team):
    """A signed-in browser of `user` working in `team`'s workspace."""
    browser = client_for(user)
    session = browser.session
    session[WORKSPACE_SESSION_KEY] = team.slug
    session.save()
    return browser


def test_a_teams_owner_connects_for_the_team_and_a_member_may_not(github_fake, prices):
    owner, member = UserFactory(), UserFactory()
    team = create_organization(user=owner, name="Acme")
    Membership.objects.create(organization=team, user=member, role="member")

    refused = post_token(in_team(member, team))
    assert refused.status_code == 403 and not Connection.objects.exists()

    assert post_token(in_team(owner, team)).status_code == 302
    connection = Connection.objects.get()
    assert connection.organization == team and connection.owner is None
    assert connection.created_by == owner
