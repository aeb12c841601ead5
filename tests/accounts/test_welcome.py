"""After sign-up, a welcome explains tokens with the user's own figures and the prices from the
price table; it stays until put away (once, for good) and the account menu brings it back."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import User
from accounts.services import dismiss_welcome
from tests.builders import client_for, funded_user, set_price
from tests.factories import UserFactory
from tests.helpers import sign_up

pytestmark = pytest.mark.django_db

PANEL = "data-welcome"


def test_a_new_account_is_welcomed_with_its_tokens_and_the_prices(client, prices):
    set_price("ticket.standard", tokens=2, label="Standard ticket")
    set_price("ticket.advanced", label="Advanced ticket")

    page = sign_up(client, "new@example.com").content.decode()

    assert PANEL in page
    assert "Welcome! Here is how tokens work" in page
    assert "You have 9 tokens." in page  # 6 for signing up, 3 free ones carried over
    assert "costs</strong> 2 tokens (Standard ticket) or 3 tokens (Advanced ticket)." in page
    assert "(6 for every new account)" in page
    assert "A failed generation costs nothing:</strong> the tokens come back." in page
    # On every page until it is put away.
    assert PANEL in client.get("/tickets/").content.decode()


def test_putting_the_welcome_away_is_recorded_once_and_it_stays_away(client, prices):
    sign_up(client, "new@example.com")
    response = client.post("/account/welcome/dismiss/", {"next": "/tickets/"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    line = response.content.decode()
    assert 'id="welcome"' in line and 'role="status"' in line and "autofocus" in line
    assert "“How tokens work” in the account menu brings this back." in line

    user = User.objects.get(email="new@example.com")
    first = user.welcomed_at
    assert first is not None
    for path in ("/", "/tickets/new/", "/account/settings/"):
        assert PANEL not in client.get(path).content.decode()

    assert dismiss_welcome(user=user) is False  # a second tab changes nothing
    user.refresh_from_db()
    assert user.welcomed_at == first


def test_without_javascript_the_page_comes_back_without_the_welcome(client, prices):
    sign_up(client, "new@example.com")
    response = client.post("/account/welcome/dismiss/", {"next": "/tickets/"})
    assert (response.status_code, response["Location"]) == (302, "/tickets/")


def test_dismissing_never_redirects_off_site(prices):
    client = client_for(funded_user(3))
    response = client.post("/account/welcome/dismiss/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_account_menu_brings_the_welcome_back(client, prices):
    sign_up(client, "new@example.com")
    client.post("/account/welcome/dismiss/")

    home = client.get("/").content.decode()
    assert '<a href="/account/welcome/">How tokens work</a>' in home
    page = client.get("/account/welcome/").content.decode()
    assert "<h1>How tokens work</h1>" in page
    assert "You have 9 tokens." in page and "A failed generation costs nothing:" in page
    assert PANEL not in page and page.count('class="welcome-facts"') == 1


def test_the_welcome_page_does_not_repeat_the_panel_before_it_is_put_away(client, prices):
    sign_up(client, "new@example.com")
    page = client.get("/account/welcome/").content.decode()
    assert page.count('class="welcome-facts"') == 1


def test_visitors_have_no_welcome_and_its_page_asks_them_to_log_in(client):
    assert PANEL not in client.get("/").content.decode()
    response = client.get("/account/welcome/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/account/welcome/dismiss/").status_code == 302


def test_people_who_had_accounts_before_the_welcome_existed_are_not_greeted_as_new():
    earlier = UserFactory()
    migration = importlib.import_module("accounts.migrations.0004_user_welcomed_at")
    migration.mark_existing_users_welcomed(apps, None)
    earlier.refresh_from_db()
    assert earlier.welcomed_at is not None and earlier.welcomed_at <= timezone.now()
