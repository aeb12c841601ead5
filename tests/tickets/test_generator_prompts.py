"""What the generator offers when the balance cannot pay: never a Generate button that cannot
work; a visitor is invited to sign up, told the truth about why they have no free tokens; a
user is pointed at the token packs."""

import pytest
from django.urls import reverse

from accounts.models import AnonymousVisitor
from accounts.selectors import visitor_cookie_name
from tests.builders import funded_user, make_visitor, signed_visitor_cookie, ticket_form
from tests.factories import PASSWORD
from tickets.models import Ticket
from tokens.models import Hold, LedgerEntry

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:new")
GENERATE_BUTTON = "data-generate-button"
SIGN_UP_INVITE = '<a class="btn btn-primary" href="/accounts/signup/?next=/tickets/new/" ' \
                 "data-signup-invite>Sign up for 6 free tokens</a>"


def as_visitor(client, visitor):
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)
    return client


def generator(client) -> str:
    return client.get(NEW).content.decode()


def generator_part(html: str) -> str:
    """The generator itself, without the header, the menu and the footer around it."""
    return html.split('id="generator"', 1)[1].split("</main>", 1)[0]


def test_a_fresh_visitor_can_generate_with_the_free_tokens(client, offline):
    html = generator(client)
    assert GENERATE_BUTTON in html and "You have 3 free tokens." in html
    assert "data-top-up" not in html


def test_a_visitor_who_spent_the_free_tokens_gets_the_sign_up_instead_of_the_button(
    client, offline
):
    html = generator(as_visitor(client, make_visitor(ip="127.0.0.1", spend=3)))
    assert GENERATE_BUTTON not in html
    assert 'data-top-up="trial_spent"' in html
    assert "You have used your free tokens." in html
    assert "the tickets you made here come with you" in html
    assert SIGN_UP_INVITE in html
    assert "/pricing/" not in generator_part(html)  # a visitor cannot buy

    # A submit anyway (an old tab) gets the same invitation, and nothing is reserved.
    html = client.post(NEW, ticket_form()).content.decode()
    assert "data-not-enough" in html and "<h2>You have used your free tokens</h2>" in html
    assert "This ticket needs 1 token and you have 0 free tokens." in html
    assert not Ticket.objects.exists() and not Hold.objects.exists()


def test_a_visitor_on_a_capped_network_is_told_the_free_tries_here_are_gone_today(
    client, offline, settings
):
    settings.VISITOR_GRANTS_PER_NETWORK_PER_DAY = 1
    make_visitor(ip="127.0.0.1")  # today's free try on this network

    html = generator(client)
    assert GENERATE_BUTTON not in html
    assert 'data-top-up="network_capped"' in html
    assert "Free tries on this network are used up for today." in html
    assert "Sign up free to get 6 tokens of your own." in html and SIGN_UP_INVITE in html
    # They never had any: nothing about having used tokens or made tickets.
    assert "You have used your free tokens" not in html
    assert "the tickets you made here" not in html

    html = client.post(NEW, ticket_form()).content.decode()
    assert "<h2>Free tries on this network are used up for today</h2>" in html
    assert not Ticket.objects.exists()
    assert LedgerEntry.objects.filter(kind="visitor_grant").count() == 1  # the other visitor's


def test_a_visitor_with_too_few_free_tokens_for_advanced_is_invited_to_sign_up(
    client, prices, settings
):
    settings.OPENROUTER_API_KEY = "test-key"  # Advanced is offered
    as_visitor(client, make_visitor(ip="127.0.0.1", spend=2))
    assert GENERATE_BUTTON in generator(client)  # Standard still fits in the 1 token left

    html = client.post(NEW, ticket_form(quality="advanced")).content.decode()
    assert "<h2>Not enough free tokens</h2>" in html
    assert "This ticket needs 3 tokens and you have 1 free token." in html
    assert "your free tokens and the tickets you made here come with you" in html
    assert SIGN_UP_INVITE in html and "Buy tokens" not in html


def test_the_last_free_token_asks_first_and_says_what_signing_up_gives(
    client, offline, settings
):
    settings.WELCOME_TOKENS = 7
    as_visitor(client, make_visitor(ip="127.0.0.1", spend=2))
    html = client.post(NEW, ticket_form()).content.decode()
    assert "data-confirm-step" in html
    assert "You have <strong>1 free token</strong>." in " ".join(html.split())
    assert "This uses your last token. Sign up afterwards for 7 more, free." in html


def test_a_signed_in_user_without_tokens_is_offered_the_token_packs(client, offline):
    client.force_login(funded_user(0))
    html = generator(client)
    assert GENERATE_BUTTON not in html
    assert 'data-top-up="account"' in html and "You have no tokens left." in html
    assert '<a class="btn btn-primary" href="/pricing/" data-buy-invite>Buy tokens</a>' in html
    assert "Sign up" not in generator_part(html)

    html = client.post(NEW, ticket_form()).content.decode()
    assert "<h2>Not enough tokens</h2>" in html and "data-buy-invite" in html


def test_someone_who_just_signed_up_is_asked_to_confirm_the_email(client, offline):
    client.post("/accounts/signup/",
                {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD})
    html = generator(client)
    assert GENERATE_BUTTON not in html
    assert 'data-top-up="confirm_email"' in html
    assert "Confirm your email to use your tokens." in html
    assert "you are signed in with your 9 tokens" in html
    assert "Sign up" not in generator_part(html)
    assert AnonymousVisitor.objects.get().merged_into.email == "new@example.com"
