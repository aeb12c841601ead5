"""Deleting an account, and every path that meets a deleted or deactivated account later:
signing up again with its address, signing in, resetting the password."""

import importlib

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.apps import apps as global_apps
from django.core import mail
from django.test import Client

from accounts.models import ClosedAccountEmail, User
from accounts.services import close_user_account, deactivate_user, get_or_open_user_account
from tests.builders import make_staff, make_verified_user, new_key
from tests.factories import PASSWORD
from tests.helpers import balance_of, reauthenticate, sign_in, sign_up
from tokens.models import LedgerEntry, TokenAccount
from tokens.services import close_account, grant_tokens, reserve_tokens

UNKNOWN_LOGIN = "The email address and/or password you specified are not correct."


def user_with_tokens(email="leaver@example.com", tokens=6):
    user = make_verified_user(email=email, first_name="Lee", last_name="Ver")
    account = get_or_open_user_account(user=user)
    grant_tokens(account=account, amount=tokens, kind="welcome",
                 idempotency_key=f"user:{user.pk}:welcome")
    return user


def delete_through_the_page(client, user, *, signed_in=False):
    """Sign in, confirm the password, type the address and press Delete, as a person does."""
    if not signed_in:
        sign_in(client, user.email)
    reauthenticate(client)
    return client.post("/account/delete/", {"email": user.email}, follow=True)


@pytest.mark.django_db
def test_the_delete_page_asks_for_the_password_before_showing_the_form(client):
    user = user_with_tokens()
    sign_in(client, user.email)

    first = client.get("/account/delete/")

    assert first.status_code == 302
    assert first["Location"] == "/accounts/reauthenticate/?next=%2Faccount%2Fdelete%2F"
    confirmed = client.post(first["Location"], {"password": PASSWORD}, follow=True)
    page = confirmed.content.decode()
    assert confirmed.request["PATH_INFO"] == "/account/delete/"
    assert "Type your email address to confirm" in page
    assert "This cannot be undone" in page
    assert "forfeits your remaining 6 tokens" in page
    assert "You can sign up again with leaver@example.com later" in page


@pytest.mark.django_db
def test_sending_the_form_without_the_password_deletes_nothing(client):
    user = user_with_tokens()
    sign_in(client, user.email)

    sent = client.post("/account/delete/", {"email": user.email})

    assert "/accounts/reauthenticate/" in sent["Location"]
    user.refresh_from_db()
    assert user.is_active and user.email == "leaver@example.com"


@pytest.mark.django_db
def test_a_wrong_address_deletes_nothing(client):
    user = user_with_tokens()
    sign_in(client, user.email)
    reauthenticate(client)

    wrong = client.post("/account/delete/", {"email": "someone@else.com"})

    assert wrong.status_code == 200
    assert "That is not your email address; nothing was deleted." in wrong.content.decode()
    user.refresh_from_db()
    assert user.is_active and balance_of(user.token_account) == 6


@pytest.mark.django_db
def test_deleting_closes_the_tokens_and_removes_the_persons_details(client):
    user = user_with_tokens()
    account = user.token_account
    phone = Client()
    for browser in (client, phone):
        sign_in(browser, user.email)
    SocialAccount.objects.create(user=user, provider="github", uid="4242")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    EmailAddress.objects.create(user=user, email="lee@work.example.com", verified=True)

    done = delete_through_the_page(client, user, signed_in=True)

    assert "Your account has been deleted and you have been signed out." in done.content.decode()
    assert "_auth_user_id" not in client.session
    assert phone.get("/account/settings/").status_code == 302  # signed out everywhere
    user = User.objects.get(pk=user.pk)  # kept: the ledger and purchases point at it
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert (user.first_name, user.last_name) == ("", "")
    assert not user.has_usable_password()
    assert not (user.is_active or user.is_staff or user.is_superuser)
    for rows in (EmailAddress, SocialAccount, Authenticator, UserSession):
        assert not rows.objects.filter(user=user).exists(), rows
    closed = TokenAccount.objects.get(pk=account.pk)
    assert (closed.balance, closed.closed_at is not None) == (0, True)
    entry = LedgerEntry.objects.get(idempotency_key=f"user:{user.pk}:close")
    assert (entry.kind, entry.amount) == ("adjustment", -6)
    assert LedgerEntry.objects.filter(account=account).count() == 2  # the history is kept
    # Both verified addresses are remembered, as keyed hashes only.
    assert ClosedAccountEmail.objects.count() == 2
    assert not ClosedAccountEmail.objects.filter(email_hash__contains="leaver").exists()


@pytest.mark.django_db
def test_a_generation_in_flight_blocks_deleting_with_a_message(client):
    user = user_with_tokens()
    reserve_tokens(account=user.token_account, amount=1, idempotency_key=new_key("hold"))

    page = delete_through_the_page(client, user).content.decode()

    assert "A ticket is still being generated with your tokens." in page
    user.refresh_from_db()
    assert user.is_active and user.email == "leaver@example.com"
    assert EmailAddress.objects.filter(user=user).exists()
    assert not ClosedAccountEmail.objects.exists()
    assert TokenAccount.objects.get(pk=user.token_account_id).closed_at is None


@pytest.mark.django_db
def test_closing_twice_changes_nothing_more():
    user = user_with_tokens()
    close_user_account(user=user)
    close_user_account(user=user)

    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert ClosedAccountEmail.objects.count() == 1
    assert LedgerEntry.objects.filter(idempotency_key=f"user:{user.pk}:close").count() == 1


@pytest.mark.django_db
def test_the_address_signs_up_again_as_a_new_account_without_a_second_welcome_bonus(client):
    old = user_with_tokens()
    delete_through_the_page(client, old)

    page = sign_up(Client(), "LEAVER@example.com").content.decode()

    new = User.objects.get(email__iexact="leaver@example.com")
    assert new.pk != old.pk
    assert "Welcome back! This email address had its welcome tokens on an earlier account, " \
           "so none were added this time. 3 tokens carried over from your free trial." in page
    assert not LedgerEntry.objects.filter(idempotency_key=f"user:{new.pk}:welcome").exists()
    assert balance_of(new.token_account) == 3  # this browser's free trial, nothing more
    # Somebody else's address still gets the welcome bonus.
    other = sign_up(Client(), "newcomer@example.com").content.decode()
    assert "Welcome! 6 tokens added" in other


@pytest.mark.django_db
def test_the_sign_up_page_says_the_welcome_bonus_comes_once_per_address(client):
    page = client.get("/accounts/signup/").content.decode()
    assert "The 6 welcome tokens come once per email address" in page


@pytest.mark.django_db
def test_signing_in_to_a_deleted_account_reads_like_an_unknown_address(client):
    user = user_with_tokens()
    delete_through_the_page(client, user)

    deleted = sign_in(Client(), "leaver@example.com")
    unknown = sign_in(Client(), "nobody@example.com")

    for response in (deleted, unknown):
        assert response.request["PATH_INFO"] == "/accounts/login/"
        assert UNKNOWN_LOGIN in response.content.decode()
        assert "inactive" not in response.content.decode().lower()


@pytest.mark.django_db
def test_a_password_reset_for_a_deleted_address_says_what_it_says_for_an_unknown_one(client):
    user = user_with_tokens()
    delete_through_the_page(client, user)
    mail.outbox.clear()

    for address in ("leaver@example.com", "nobody@example.com"):
        done = Client().post("/accounts/password/reset/", {"email": address}, follow=True)
        assert done.request["PATH_INFO"] == "/accounts/password/reset/done/"

    deleted, unknown = mail.outbox
    assert deleted.subject == unknown.subject == "[MyBA] Unknown account"
    assert "we do not have any record of such an account" in deleted.body
    assert "/accounts/signup/" in deleted.body  # the way back in is signing up again


@pytest.mark.django_db
def test_an_account_staff_deactivated_is_told_so_and_how_to_reach_support(settings):
    settings.SUPPORT_EMAIL = "help@myba.example.com"
    user = user_with_tokens()
    deactivate_user(actor=make_staff(), user=user, reason="chargeback")
    client = Client()

    page = sign_in(client, user.email)

    assert "_auth_user_id" not in client.session
    assert page.request["PATH_INFO"] == "/accounts/inactive/"
    html = page.content.decode()
    assert "This account has been deactivated" in html
    assert 'href="mailto:help@myba.example.com"' in html
    assert "This account is inactive." not in html
    # Deactivation keeps the address: it cannot sign up a second account.
    client.post("/accounts/signup/", {"email": user.email, "password1": PASSWORD + "1",
                                      "password2": PASSWORD + "1"})
    assert User.objects.filter(email=user.email).count() == 1


@pytest.mark.django_db
def test_accounts_deleted_before_anonymizing_are_anonymized_by_the_migration(client):
    """An account deleted by the earlier code: inactive, closed tokens, details intact."""
    user = user_with_tokens()
    account = user.token_account
    close_account(account=account, actor=user, reason="account deleted by its owner",
                  idempotency_key=f"user:{user.pk}:close")
    User.objects.filter(pk=user.pk).update(is_active=False)
    deactivated = make_verified_user(email="deactivated@example.com", is_active=False)
    migration = importlib.import_module("accounts.migrations.0005_closed_account_email")

    migration.anonymize_accounts_deleted_before(global_apps, None)

    user.refresh_from_db()
    assert user.email == f"deleted-{user.pk}@deleted.invalid" and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    deactivated.refresh_from_db()  # staff deactivation is not deletion
    assert deactivated.email == "deactivated@example.com"
    # The address is free, and knows it had its welcome bonus.
    page = sign_up(client, "leaver@example.com").content.decode()
    assert "Welcome back!" in page
