"""Free visitor tokens: shown from the first page, written once at the first costed action,
remembered by a signed cookie, capped per network per day."""

import re
import uuid

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings

from accounts.middleware import VisitorCookieMiddleware
from accounts.models import AnonymousVisitor, VisitorGrantQuota
from accounts.network import get_client_ip, network_of
from accounts.selectors import (
    get_display_balance,
    get_visitor_for_request,
    visitor_cookie_name,
)
from accounts.services import get_paying_account, grant_visitor_tokens
from tests.builders import make_request, signed_visitor_cookie, ticket_form
from tests.factories import UserFactory
from tests.helpers import balance_of, race
from tickets.models import Ticket
from tokens.models import LedgerEntry


def pay(request):
    """Run get_paying_account inside our middleware, as a costed view would."""
    result = {}

    def view(req):
        result["account"] = get_paying_account(request=req)
        return HttpResponse("ok")

    response = VisitorCookieMiddleware(view)(request)
    return result["account"], response


@pytest.mark.django_db
def test_first_page_shows_three_free_tokens_and_writes_nothing(client):
    response = client.get("/")

    assert response.status_code == 200
    badge = response.content.decode()
    assert 'data-balance="3"' in badge and "free tokens" in badge
    assert visitor_cookie_name() not in response.cookies
    assert AnonymousVisitor.objects.count() == 0
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
def test_first_costed_action_grants_three_tokens_once_and_sets_a_signed_cookie():
    account, response = pay(make_request())

    visitor = AnonymousVisitor.objects.get()
    assert balance_of(account) == 3
    assert visitor.token_account == account and visitor.granted_at is not None
    cookie = response.cookies[visitor_cookie_name()]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert str(visitor.public_id) in cookie.value  # signed, not encrypted: the id is public
    entry = LedgerEntry.objects.get(account=account)
    assert (entry.kind, entry.amount, entry.idempotency_key) == (
        "visitor_grant",
        3,
        f"visitor:{visitor.pk}:grant",
    )

    # Refreshing, new tabs and replaying the cookie: same visitor, no second grant.
    for _ in range(3):
        again, again_response = pay(make_request(cookie_value=cookie.value))
        assert again == account
        assert visitor_cookie_name() not in again_response.cookies
    assert AnonymousVisitor.objects.count() == 1
    assert LedgerEntry.objects.filter(account=account).count() == 1
    assert balance_of(account) == 3


@pytest.mark.django_db
def test_header_shows_the_ledger_balance_once_the_visitor_exists():
    account, response = pay(make_request())
    cookie = response.cookies[visitor_cookie_name()].value
    from tokens.services import spend_tokens

    spend_tokens(account=account, amount=2, idempotency_key="test:spend")
    request = make_request(cookie_value=cookie)
    assert get_display_balance(request) == 1
    assert get_visitor_for_request(request).token_account == account


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cookie_value",
    [
        "not-even-signed",
        f"{uuid.uuid4()}:forgedsignature",
        "",
    ],
    # Fixed ids: xdist workers each collect the suite and must name every test alike.
    ids=["unsigned", "forged-signature", "tampered"],
)
def test_forged_or_tampered_cookie_is_ignored(cookie_value):
    victim_account, _ = pay(make_request(ip="198.51.100.1"))
    victim = AnonymousVisitor.objects.get()
    if cookie_value == "":
        # Tamper with a real cookie: swap the visitor id and keep the signature.
        real = signed_visitor_cookie(victim.public_id)
        cookie_value = real.replace(str(victim.public_id), str(uuid.uuid4()))

    request = make_request(ip="198.51.100.2", cookie_value=cookie_value)
    assert get_visitor_for_request(request) is None

    account, response = pay(request)
    assert account != victim_account
    assert balance_of(victim_account) == 3  # the victim's tokens were not touched
    assert AnonymousVisitor.objects.count() == 2
    assert visitor_cookie_name() in response.cookies  # a fresh visitor, freshly signed


@pytest.mark.django_db
def test_forged_cookie_naming_a_real_visitor_cannot_claim_its_tokens():
    victim_account, _ = pay(make_request())
    victim = AnonymousVisitor.objects.get()
    forged = f"{victim.public_id}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    request = make_request(cookie_value=forged)
    assert get_visitor_for_request(request) is None


@pytest.mark.django_db
def test_at_most_three_grants_per_network_per_day_then_zero_and_a_sign_up_invite(client):
    granted = [pay(make_request(ip="192.0.2.10"))[0] for _ in range(3)]
    assert [balance_of(account) for account in granted] == [3, 3, 3]

    fourth, _ = pay(make_request(ip="192.0.2.10"))
    assert balance_of(fourth) == 0
    assert AnonymousVisitor.objects.filter(grant_denied_at__isnull=False).count() == 1
    assert VisitorGrantQuota.objects.get().grants == 3

    # A new browser on that network sees 0 and an invitation to sign up, before any write.
    page = client.get("/", REMOTE_ADDR="192.0.2.10").content.decode()
    assert 'data-balance="0"' in page
    assert "Sign up for 6 free tokens" in page

    # Another network is unaffected.
    other, _ = pay(make_request(ip="192.0.2.11"))
    assert balance_of(other) == 3


@pytest.mark.django_db
def test_network_cap_counts_an_ipv6_slash_64_as_one_network():
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"):
        pay(make_request(ip=host))
    fourth, _ = pay(make_request(ip="2001:db8:1:2::99"))
    assert balance_of(fourth) == 0
    assert network_of("2001:db8:1:2::1") == network_of("2001:db8:1:2:abcd::1")
    assert network_of("::ffff:192.0.2.1") == "192.0.2.1"


@pytest.mark.django_db
def test_forwarded_for_header_is_ignored_unless_a_trusted_proxy_is_configured():
    for n in range(4):
        pay(make_request(ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"))
    # Spoofed X-Forwarded-For does not get around the cap.
    assert AnonymousVisitor.objects.filter(granted_at__isnull=False).count() == 3

    with override_settings(TRUSTED_PROXY_IP_HEADER="X-Forwarded-For"):
        request = make_request(ip="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.77")
        assert get_client_ip(request) == "198.51.100.77"
        account, _ = pay(request)
        assert balance_of(account) == 3


@pytest.mark.django_db
def test_signed_in_users_never_get_visitor_grants():
    user = UserFactory()
    account, response = pay(make_request(user=user))

    assert account == user.token_account
    assert balance_of(account) == 0
    assert AnonymousVisitor.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind="visitor_grant").exists()
    assert visitor_cookie_name() not in response.cookies


@pytest.mark.django_db
def test_grant_is_decided_once_even_when_called_again_with_a_stale_instance():
    pay(make_request())
    visitor = AnonymousVisitor.objects.get()
    stale = AnonymousVisitor.objects.get(pk=visitor.pk)
    stale.granted_at = None
    stale.token_account = None

    account = grant_visitor_tokens(visitor=stale, ip="203.0.113.7")
    assert balance_of(account) == 3
    assert LedgerEntry.objects.filter(kind="visitor_grant").count() == 1
    assert VisitorGrantQuota.objects.get().grants == 1


@pytest.mark.django_db(transaction=True)
def test_network_cap_holds_under_concurrency():
    race(*[lambda: pay(make_request(ip="192.0.2.99"))] * 8)

    assert AnonymousVisitor.objects.count() == 8
    assert AnonymousVisitor.objects.filter(granted_at__isnull=False).count() == 3
    assert AnonymousVisitor.objects.filter(grant_denied_at__isnull=False).count() == 5
    assert LedgerEntry.objects.filter(kind="visitor_grant").count() == 3
    assert VisitorGrantQuota.objects.get().grants == 3


@pytest.mark.django_db(transaction=True)
def test_two_tabs_of_one_visitor_racing_their_first_costed_action_grant_once():
    # A visitor row exists (its cookie is in both tabs) but no grant was decided yet.
    fresh = AnonymousVisitor.objects.create(ip_hash="tabs")
    cookie = signed_visitor_cookie(fresh.public_id)

    race(*[lambda: pay(make_request(cookie_value=cookie))] * 6)

    fresh.refresh_from_db()
    assert balance_of(fresh.token_account) == 3
    assert LedgerEntry.objects.filter(account=fresh.token_account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_visitors_form_sent_twice_at_once_makes_one_visitor_one_grant_one_ticket(
    offline,
):
    """The generator page gives the browser its visitor id before the first costed action:
    its form sent twice at the same moment (a double click, a retry through the load balancer
    to another server) finds one visitor, grants the free tokens once and makes one ticket."""
    browser = Client()
    page = browser.get("/tickets/new/").content.decode()
    assert AnonymousVisitor.objects.count() == 0  # an id in a cookie, no row yet
    form = ticket_form(nonce=re.search(r'name="nonce" value="([^"]+)"', page).group(1))

    def send() -> str:
        tab = Client()
        tab.cookies = browser.cookies
        return tab.post("/tickets/new/", form)["Location"]

    first, second = race(send, send)
    assert first == second
    assert AnonymousVisitor.objects.count() == 1 and Ticket.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="visitor_grant").count() == 1
