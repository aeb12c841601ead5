"""What the header's balance says to each kind of visitor, and to a user: visitors are invited
to sign up (they cannot buy), "used up" means spent, a network's spent free tries are not the
visitor's, and someone who has just signed up is told to confirm their email."""

import re

import pytest

from accounts.models import VisitorGrantQuota
from accounts.selectors import visitor_cookie_name
from tests.builders import funded_user, make_visitor, signed_visitor_cookie
from tests.factories import PASSWORD
from tests.helpers import confirmation_path, sign_up
from tokens.models import TokenAccount

pytestmark = pytest.mark.django_db

SIGN_UP_NUDGE = re.compile(r'<a class="balance-nudge small" href="/accounts/signup/">'
                           r"Sign up for (\d+) free tokens</a>")


def header(client, path="/") -> str:
    """What the header's balance slot holds on the page at `path`."""
    html = client.get(path).content.decode()
    return html.split('id="balance-badge"', 1)[1].split('<details class="nav-menu"', 1)[0]


def as_visitor(client, visitor):
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)
    return client


def test_a_fresh_visitor_sees_three_free_tokens_and_no_nudge(client):
    badge = header(client)
    assert 'data-standing="trial"' in badge and "3</span> free tokens" in badge
    assert "balance-nudge" not in badge


def test_a_visitor_with_one_token_left_is_invited_to_sign_up_not_to_buy(client):
    badge = header(as_visitor(client, make_visitor(ip="127.0.0.1", spend=2)))
    assert re.search(r">1</span> free token\s*</span>", badge)
    assert SIGN_UP_NUDGE.search(badge).group(1) == "6"
    assert "buy" not in badge.lower() and "/pricing/" not in badge


def test_a_visitor_who_spent_the_free_tokens_has_used_them_up(client):
    badge = header(as_visitor(client, make_visitor(ip="127.0.0.1", spend=3)))
    assert 'data-standing="trial_spent"' in badge and "0</span> free tokens" in badge
    assert SIGN_UP_NUDGE.search(badge)
    assert "buy" not in badge.lower()


def test_the_sign_up_invitation_says_what_an_account_gets(client, settings):
    settings.WELCOME_TOKENS = 7
    badge = header(as_visitor(client, make_visitor(ip="127.0.0.1", spend=3)))
    assert SIGN_UP_NUDGE.search(badge).group(1) == "7"


def test_a_visitor_on_a_network_past_its_daily_cap_is_not_told_they_used_anything(
    client, settings
):
    settings.VISITOR_GRANTS_PER_NETWORK_PER_DAY = 1
    make_visitor(ip="127.0.0.1")  # someone else on this network had today's free try

    fresh = header(client)
    assert 'data-standing="network_capped"' in fresh and "0</span> free tokens" in fresh
    assert SIGN_UP_NUDGE.search(fresh)

    refused = make_visitor(ip="127.0.0.1")  # its first costed action got no grant
    assert refused.grant_denied_at is not None
    badge = header(as_visitor(client, refused))
    assert 'data-standing="network_capped"' in badge and SIGN_UP_NUDGE.search(badge)


def test_a_visitor_refused_on_an_earlier_day_has_no_free_tokens_but_no_cap_today(
    client, settings
):
    settings.VISITOR_GRANTS_PER_NETWORK_PER_DAY = 1
    make_visitor(ip="127.0.0.1")
    refused = make_visitor(ip="127.0.0.1")
    VisitorGrantQuota.objects.all().delete()  # a new day: the network has its free tries again

    badge = header(as_visitor(client, refused))
    assert 'data-standing="no_trial"' in badge and SIGN_UP_NUDGE.search(badge)


@pytest.mark.parametrize(("tokens", "threshold", "nudge"), [
    (0, 3, True), (2, 3, True), (3, 3, False),
    # The user's own threshold: 5 makes 4 low; 0 turns the nudge off.
    (4, 5, True), (0, 0, False),
])
def test_a_signed_in_user_low_on_tokens_is_pointed_at_the_token_packs(client, tokens,
                                                                      threshold, nudge):
    user = funded_user(tokens)
    TokenAccount.objects.filter(pk=user.token_account_id).update(
        low_balance_threshold=threshold)
    client.force_login(user)
    badge = header(client)
    assert 'data-standing="account"' in badge
    assert f"{tokens}</span> token" in badge and "free token" not in badge
    assert ('<a class="balance-nudge small" href="/pricing/">'
            '<span class="visually-hidden">Low balance: </span>Buy tokens</a>' in badge) is nudge
    assert "Sign up" not in badge


def test_after_sign_up_the_header_asks_to_confirm_the_email_not_to_sign_up(client):
    as_visitor(client, make_visitor(ip="127.0.0.1", spend=1))
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/confirm-email/"
    page = response.content.decode()
    badge = header(client, "/accounts/confirm-email/")
    # 6 for signing up and the 2 free tokens left, waiting in the new account.
    assert "Confirm your email to get your 8 tokens" in badge
    assert "Sign up" not in badge and "balance-count" not in badge  # no "0 tokens"
    assert "Confirm your email to get your 8 tokens" in page

    # Anywhere else on the site until then, too.
    assert "Confirm your email to get your 8 tokens" in header(client, "/tickets/")

    client.post(confirmation_path())  # confirming signs them in
    assert 'data-standing="account"' in header(client)
    assert "8</span> tokens" in header(client)


def test_a_signed_out_user_whose_trial_is_in_their_account_is_asked_to_log_in(client):
    sign_up(client, "back@example.com")
    client.post("/accounts/logout/")
    badge = header(client)
    assert 'data-standing="signed_out"' in badge
    assert '<a class="balance-nudge small" href="/accounts/login/">Sign in to use your tokens</a>' \
        in badge
    assert "Sign up" not in badge and "balance-count" not in badge


@pytest.mark.django_db(transaction=True)
def test_a_network_capped_by_another_browser_is_capped_on_the_next_page(client, settings):
    """The network's count of free grants is kept in the shared cache; a grant committed
    after a header read the old count still caps the network on the next page."""
    settings.VISITOR_GRANTS_PER_NETWORK_PER_DAY = 1
    assert 'data-standing="trial"' in header(client)  # the count (0) is now cached
    make_visitor(ip="127.0.0.1")  # another browser on this network takes today's free try
    assert 'data-standing="network_capped"' in header(client)
