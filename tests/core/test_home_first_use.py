"""The home page promises what the site gives: free tokens from the settings, ticket prices
from the price table; and its headings go down one level at a time."""

import re

import pytest

from accounts.selectors import visitor_cookie_name
from tests.builders import funded_user, make_visitor, set_price, signed_visitor_cookie

pytestmark = pytest.mark.django_db


def test_the_home_page_quotes_the_free_tokens_and_the_prices_it_is_configured_with(
    client, prices, settings
):
    settings.VISITOR_FREE_TOKENS = 4
    settings.WELCOME_TOKENS = 7
    set_price("ticket.standard", tokens=2)

    page = client.get("/").content.decode()
    assert "Generate your first ticket — 4 free tokens" in page
    assert "Sign up and get 7 more tokens." in page
    assert '<p class="price">2 <small>tokens</small></p>' in page  # Standard
    assert '<p class="price">3 <small>tokens</small></p>' in page  # Advanced
    assert '<p class="price">11 <small>free tokens</small></p>' in page
    assert "4 tokens as a visitor" in page and "7 more when you create an account" in page
    assert "Try it now with 4 free tokens" in page


def test_a_quality_without_a_price_is_not_advertised(client, prices):
    set_price("ticket.advanced", active=False)
    page = client.get("/").content.decode()
    assert "Standard ticket" in page and "Advanced ticket" not in page


def test_the_home_page_headings_never_skip_a_level(client, prices):
    page = client.get("/").content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 1
    skips = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert skips == []


def test_the_free_try_is_promised_only_to_visitors_who_still_have_it(client, prices):
    page = client.get("/").content.decode()
    assert "Generate your first ticket — 3 free tokens" in page
    assert "No account needed to try." in page

    spent = make_visitor(ip="127.0.0.1", spend=3)
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(spent.public_id)
    page = client.get("/").content.decode()
    assert "Generate your first ticket" not in page and "No account needed to try" not in page
    assert "Try it now with" not in page
    assert '<a href="/accounts/signup/">Sign up</a> and get 6 free tokens.' in page

    client.force_login(funded_user(5))
    page = client.get("/").content.decode()
    assert "free tokens —" not in page and "Sign up and get" not in page
