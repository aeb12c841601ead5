"""The home page is kept whole for plain visits (config/home.py): every visitor still gets a
CSRF token of their own, and what the page shows still follows the prices, the browser's
standing, messages and the query string."""

import re

import pytest
import redis
from django.test import Client

from accounts.selectors import visitor_cookie_name
from tests.builders import funded_user, make_visitor, set_price, signed_visitor_cookie

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _visit(client: Client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_each_visitor_gets_a_working_token_of_their_own(prices):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page, second_page = _visit(first), _visit(second)  # the second from the stored page

    first_token, second_token = TOKEN.search(first_page)[1], TOKEN.search(second_page)[1]
    assert first_token != second_token
    assert f'"X-CSRFToken": "{second_token}"' in second_page
    assert TOKEN.sub("", first_page).replace(first_token, "") == TOKEN.sub(
        "", second_page).replace(second_token, "")
    for client, token in ((first, first_token), (second, second_token)):
        switched = client.post("/language/", {"language": "es", "next": "/",
                                              "csrfmiddlewaretoken": token})
        assert switched.status_code == 302
    refused = Client(enforce_csrf_checks=True)
    _visit(refused)
    assert refused.post("/language/", {"language": "es", "csrfmiddlewaretoken": first_token}
                        ).status_code == 403


def test_a_price_change_shows_on_the_next_visit(client, prices):
    assert '<p class="price">1 <small>token</small></p>' in _visit(client)
    set_price("ticket.standard", tokens=2)
    page = _visit(Client())
    assert '<p class="price">2 <small>tokens</small></p>' in page


def test_a_visitor_who_spent_the_trial_is_not_shown_a_fresh_visitors_page(client, prices):
    assert "3 free tokens" in _visit(Client())
    spent = make_visitor(ip="127.0.0.1", spend=3)
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(spent.public_id)
    page = _visit(client)
    assert 'data-balance="0"' in page and "Generate your first ticket" not in page


def test_a_message_is_shown_to_the_visitor_it_is_for(client, prices):
    _visit(Client())
    client.force_login(funded_user(5))
    client.post("/accounts/logout/")
    assert "You have signed out." in _visit(client)
    assert "You have signed out." not in _visit(client)


def test_the_language_switcher_returns_to_the_address_with_its_query(client, prices):
    _visit(Client())
    page = _visit(client, "/?ref=newsletter")
    assert '<input type="hidden" name="next" value="/?ref=newsletter">' in page


def test_the_page_says_it_depends_on_cookies_and_speaks_the_visitors_language(prices):
    english = Client().get("/")
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get("/")
    assert "Cookie" in english["Vary"]
    assert '<html lang="en"' in english.content.decode()
    assert '<html lang="es"' in spanish.content.decode()


@pytest.mark.parametrize("path", ["/", "/pricing/"])
def test_a_new_visitors_page_costs_one_cache_round_trip(client, prices, packs, monkeypatch,
                                                        path):
    # The browser's standing (its network's count of free grants) rides with the shared
    # tables' versions: a kept page is then served without another trip to Redis.
    _visit(client, path)
    client.cookies.clear()
    commands = []
    send = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command", lambda self, *args, **options: (
        commands.append(args[0]), send(self, *args, **options))[1])

    _visit(client, path)

    assert commands == ["MGET"]
