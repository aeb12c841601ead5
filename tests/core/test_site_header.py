"""The site header: one stored shell per language, standing and current page, with each
person's email, CSRF token, balance and workspace switcher put back per request."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from accounts.services import get_or_open_user_account
from tests.factories import UserFactory
from tokens.services import grant_tokens

pytestmark = pytest.mark.django_db

LOGOUT_TOKEN = re.compile(
    r'action="/accounts/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken" '
    r'value="([^"]+)"')


def header_of(html: str) -> str:
    return html[html.index('<header class="site-header">'):html.index("</header>")]


def signed_in_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_two_people_sharing_the_shell_each_see_their_own_email_balance_and_token(prices):
    first = UserFactory(email="o'hara+first@example.com")
    second = UserFactory(email="second@example.com")
    grant_tokens(account=get_or_open_user_account(user=first), amount=4, kind="promo",
                 idempotency_key="test:header")
    first_client, second_client = signed_in_client(first), signed_in_client(second)

    first_header = header_of(first_client.get("/tickets/").content.decode())
    second_header = header_of(second_client.get("/tickets/").content.decode())

    assert "o&#x27;hara+first@example.com" in first_header
    assert "second@example.com" not in first_header
    assert "second@example.com" in second_header and "hara" not in second_header
    assert 'data-balance="4"' in first_header and 'data-balance="0"' in second_header
    # Each header's sign-out form carries its own browser's token: it signs that person out.
    token = LOGOUT_TOKEN.search(second_header).group(1)
    assert token != LOGOUT_TOKEN.search(first_header).group(1)
    assert second_client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code \
        == 302
    assert second_client.get("/account/settings/").status_code == 302
    assert first_client.get("/account/settings/").status_code == 200


def test_the_current_page_staff_link_and_a_changed_email_show_on_the_next_page(prices):
    staff = UserFactory(email="staff@example.com", is_staff=True)
    member = UserFactory(email="member@example.com")
    staff_client, member_client = signed_in_client(staff), signed_in_client(member)

    staff_tickets = header_of(staff_client.get("/tickets/").content.decode())
    member_tickets = header_of(member_client.get("/tickets/").content.decode())
    member_pricing = header_of(member_client.get("/pricing/").content.decode())
    member_settings = header_of(member_client.get("/account/settings/").content.decode())

    assert 'href="/dashboard/"' in staff_tickets
    assert 'href="/dashboard/"' not in member_tickets
    assert re.findall(r'href="([^"]+)" aria-current="page"', member_tickets) == ["/tickets/"]
    assert re.findall(r'href="([^"]+)" aria-current="page"', member_pricing) == ["/pricing/"]
    assert 'aria-current="page"' not in member_settings

    member.email = "renamed@example.com"
    member.save(update_fields=["email"])
    renamed = header_of(member_client.get("/tickets/").content.decode())
    assert "renamed@example.com" in renamed and "member@example.com" not in renamed


def test_a_page_rendered_without_a_request_gets_a_signed_out_header():
    header = header_of(render_to_string("404.html"))

    assert 'href="/accounts/login/"' in header and "Sign out" not in header
