"""Sign-up bonus and carrying a visitor's free tokens over to an account, exactly once."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.models import AnonymousVisitor
from accounts.selectors import visitor_cookie_name
from accounts.services import (
    carry_over_visitor_tokens,
    get_paying_account,
    on_user_signed_in,
    on_user_signed_up,
)
from accounts.signals import visitor_merged
from tests.builders import make_request, make_visitor, signed_visitor_cookie
from tests.factories import UserFactory
from tests.helpers import balance_of, race, sign_in, sign_up, user_balance
from tokens.models import LedgerEntry, TokenAccount

User = get_user_model()


@pytest.mark.django_db
def test_sign_up_gives_six_welcome_tokens_plus_the_unused_free_trial(client):
    home = client.get("/").content.decode()
    assert 'data-balance="3"' in home

    page = sign_up(client, "new@example.com").content.decode()

    user = User.objects.get(email="new@example.com")
    assert balance_of(user.token_account) == 9
    assert "Welcome! 6 tokens added, plus 3 carried over from your free trial." in page
    assert 'data-balance="9"' in page
    welcome = LedgerEntry.objects.get(idempotency_key=f"user:{user.pk}:welcome")
    assert (welcome.kind, welcome.amount) == ("welcome", 6)
    assert welcome.account_id == user.token_account_id
    visitor = AnonymousVisitor.objects.get()
    assert visitor.merged_into == user and visitor.merged_at is not None
    assert LedgerEntry.objects.get(idempotency_key=f"visitor:{visitor.pk}:close").amount == -3
    assert TokenAccount.objects.get(pk=visitor.token_account_id).closed_at is not None
    assert len(mail.outbox) == 1  # the verification email, nothing else


@pytest.mark.django_db
def test_sign_up_carries_over_only_what_the_visitor_has_left(client):
    visitor = make_visitor(ip="127.0.0.1", spend=1)
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)

    page = sign_up(client, "trial@example.com").content.decode()

    user = User.objects.get(email="trial@example.com")
    assert "Welcome! 6 tokens added, plus 2 carried over from your free trial." in page
    assert balance_of(user.token_account) == 8
    assert AnonymousVisitor.objects.count() == 1  # the existing visitor, not a new one
    assert balance_of(visitor.token_account) == 0


@pytest.mark.django_db
def test_sign_up_on_a_network_past_its_free_grants_gets_only_the_welcome(client):
    for _ in range(3):
        make_visitor(ip="127.0.0.1")

    page = sign_up(client, "late@example.com").content.decode()

    user = User.objects.get(email="late@example.com")
    assert balance_of(user.token_account) == 6
    assert "Welcome! 6 tokens added." in page
    assert "carried over" not in page


@pytest.mark.django_db
def test_existing_user_signing_in_with_visitor_tokens_gets_them_once(client, verified_user):
    visitor = make_visitor(ip="127.0.0.1", spend=1)
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)

    page = sign_in(client, verified_user.email).content.decode()
    verified_user.refresh_from_db()
    assert "2 tokens carried over from your free trial." in page
    assert balance_of(verified_user.token_account) == 2

    client.post("/accounts/logout/")
    client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)
    page = sign_in(client, verified_user.email).content.decode()
    assert "carried over" not in page
    assert balance_of(verified_user.token_account) == 2
    assert not LedgerEntry.objects.filter(kind="welcome").exists()  # sign-in is no sign-up


@pytest.mark.django_db
def test_signing_in_without_visitor_tokens_creates_no_visitor_and_grants_nothing(
    client, verified_user
):
    client.get("/")
    sign_in(client, verified_user.email)
    assert AnonymousVisitor.objects.count() == 0
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_visitor_merged_is_sent_after_commit(django_capture_on_commit_callbacks):
    visitor = make_visitor()
    user = UserFactory()
    received = []

    def receiver(sender, visitor, user, **kwargs):
        received.append((visitor.pk, user.pk))

    visitor_merged.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            carry_over_visitor_tokens(user=user, visitor=visitor)
            assert received == []  # not before the transaction commits
        assert len(callbacks) == 1
        assert received == [(visitor.pk, user.pk)]
    finally:
        visitor_merged.disconnect(receiver)


@pytest.mark.django_db
def test_repeating_the_sign_up_bonus_changes_nothing():
    visitor = make_visitor()
    user = UserFactory()
    request = make_request(visitor=visitor)

    first = on_user_signed_up(user=user, request=request)
    second = on_user_signed_up(user=user, request=make_request(visitor=visitor))

    assert (first.welcome, first.carried_over) == (6, 3)
    assert (second.welcome, second.carried_over) == (6, 0)
    assert balance_of(user.token_account) == 9
    assert LedgerEntry.objects.filter(account=user.token_account).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_tabs_racing_the_sign_up_bonus_pay_it_once():
    visitor = make_visitor()
    user = UserFactory()

    results = race(
        *[lambda: on_user_signed_up(user=user, request=make_request(visitor=visitor))] * 4
    )

    user.refresh_from_db()
    assert sorted(bonus.carried_over for bonus in results) == [0, 0, 0, 3]
    assert balance_of(user.token_account) == 9
    assert LedgerEntry.objects.filter(kind="welcome").count() == 1
    assert LedgerEntry.objects.filter(kind="transfer_in").count() == 1


@pytest.mark.django_db(transaction=True)
def test_sign_up_in_one_tab_and_sign_in_in_another_move_the_trial_once():
    visitor = make_visitor()
    newcomer, existing = UserFactory(), UserFactory()

    results = race(
        lambda: on_user_signed_up(user=newcomer, request=make_request(visitor=visitor)),
        lambda: on_user_signed_in(user=existing, request=make_request(visitor=visitor)),
    )

    moved = [r.carried_over if hasattr(r, "carried_over") else r for r in results]
    assert sorted(moved) == [0, 3]
    # Whichever won: 6 welcome tokens and the 3 of the trial, once. (A sign-in that carried
    # nothing opens no token account, so `existing` may have none: 0 tokens.)
    assert user_balance(newcomer) + user_balance(existing) == 9
    assert LedgerEntry.objects.filter(kind="transfer_in").count() == 1


@pytest.mark.django_db
def test_a_browser_whose_trial_went_to_an_account_gets_no_second_trial(client):
    visitor = make_visitor(ip="127.0.0.1")
    cookie = signed_visitor_cookie(visitor.public_id)
    client.cookies[visitor_cookie_name()] = cookie
    sign_up(client, "once@example.com")
    client.post("/accounts/logout/")

    page = client.get("/").content.decode()
    # The trial is in the account now: the header says how to reach it, not "sign up".
    assert 'data-balance="0"' in page and "Sign in to use your tokens" in page

    account = get_paying_account(request=make_request(ip="127.0.0.1", cookie_value=cookie))
    assert balance_of(account) == 0
    assert LedgerEntry.objects.filter(kind="visitor_grant").count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_callers_open_one_token_account_per_user():
    from accounts.services import get_or_open_user_account

    user = UserFactory()
    accounts = race(*[lambda: get_or_open_user_account(user=User.objects.get(pk=user.pk))] * 6)
    user.refresh_from_db()
    assert {account.pk for account in accounts} == {user.token_account_id}
    assert TokenAccount.objects.count() == 1
