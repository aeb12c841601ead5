"""Gifts: tokens sent by email move through an escrow account of the ledger exactly once —
to a verified user at once, to a newcomer when they verify the address, or back to the
sender after 30 days — with limits against abuse and both sides' history."""

import json
import uuid
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.urls import reverse
from django.utils import timezone

from accounts.services import get_or_open_user_account
from gifts.models import Gift
from gifts.services import (
    GiftRefused,
    deliver_waiting_gifts,
    return_unclaimed_gifts,
    send_gift,
)
from gifts.tasks import return_unclaimed_gifts_task
from tests.builders import funded_user, make_verified_user, new_key
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import LedgerEntry, Lot
from tokens.services import grant_tokens

PAGE = reverse("gifts:gifts")


def sender_with(tokens: int = 20, **fields):
    """A verified user who joined a week ago with `tokens` paid tokens."""
    user = make_verified_user(**fields)
    user.date_joined = timezone.now() - timedelta(days=7)
    user.save()
    grant_tokens(account=get_or_open_user_account(user=user), amount=tokens, kind="purchase",
                 source="paid", idempotency_key=new_key("gift-funds"))
    return user


def gift(sender, email="friend@example.com", tokens=5, **fields) -> Gift:
    return send_gift(sender=sender, email=email, tokens=tokens, message=fields.pop("message", ""),
                     request_key=fields.pop("request_key", uuid.uuid4()), **fields)


@pytest.fixture
def sender(db):
    return sender_with()


def test_a_gift_to_a_verified_user_arrives_at_once_as_a_gift_lot(sender, mailoutbox):
    friend = make_verified_user(email="friend@example.com")
    sent = gift(sender, email="Friend@Example.com", tokens=5, message="For the sprint")
    assert (sent.status, sent.recipient) == ("delivered", friend)
    assert user_balance(sender) == 15 and user_balance(friend) == 5
    received = LedgerEntry.objects.get(idempotency_key=f"gift:{sent.pk}:deliver:in")
    assert received.kind == "gift" and received.account_id == friend.token_account_id
    # The escrow account holds nothing once delivered.
    sent.escrow_account.refresh_from_db()
    assert sent.escrow_account.balance == 0
    assert_ledger_healthy()


def test_a_gift_waits_for_a_newcomer_and_arrives_when_they_verify(sender, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = gift(sender, email="new@example.com", tokens=7, message="Welcome aboard")
    assert sent.status == "waiting" and user_balance(sender) == 13
    mail = mailoutbox[-1]
    assert mail.to == ["new@example.com"] and "sent you 7 MyBA tokens" in mail.subject
    assert "Welcome aboard" in mail.body and "/accounts/signup/" in mail.body

    newcomer = make_verified_user(email="other@example.com")
    assert deliver_waiting_gifts(user=newcomer, email="other@example.com") == 0
    address = EmailAddress.objects.create(user=newcomer, email="new@example.com", verified=True)
    assert deliver_waiting_gifts(user=newcomer, email=address.email) == 1
    assert deliver_waiting_gifts(user=newcomer, email=address.email) == 0  # once
    assert user_balance(newcomer) == 7
    assert Gift.objects.get(pk=sent.pk).recipient == newcomer
    assert_ledger_healthy()


def test_confirming_the_address_through_allauth_delivers(sender, client, mailoutbox):
    sent = gift(sender, email="signup@example.com", tokens=3)
    client.post(reverse("account_signup"), {"email": "signup@example.com",
                                            "password1": "A-long-pass-phrase-42",
                                            "password2": "A-long-pass-phrase-42"})
    address = EmailAddress.objects.get(email="signup@example.com")
    client.post(reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key]))
    sent.refresh_from_db()
    assert sent.status == "delivered"
    assert user_balance(address.user) >= 3


def test_an_unclaimed_gift_goes_back_once_after_30_days(sender, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    sent = gift(sender, email="nobody@example.com", tokens=4)
    assert return_unclaimed_gifts(now=timezone.now() + timedelta(days=29)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert return_unclaimed_gifts(now=timezone.now() + timedelta(days=31)) == 1
    assert return_unclaimed_gifts(now=timezone.now() + timedelta(days=32)) == 0
    sent.refresh_from_db()
    assert sent.status == "returned" and user_balance(sender) == 20
    assert "came back" in mailoutbox[-1].subject and mailoutbox[-1].to == [sender.email]
    # Claimed afterwards: nothing left to deliver.
    late = make_verified_user(email="nobody@example.com")
    assert deliver_waiting_gifts(user=late, email="nobody@example.com") == 0
    assert_ledger_healthy()


def test_the_senders_soonest_expiring_tokens_go_first(db):
    user = sender_with(tokens=5)
    soon = timezone.now() + timedelta(days=2)
    bonus = grant_tokens(account=user.token_account, amount=3, kind="daily_bonus",
                         idempotency_key=new_key("bonus"), expires_at=soon)
    gift(user, tokens=4)
    assert Lot.objects.get(entry=bonus).remaining == 0  # spent first
    assert user_balance(user) == 4


@pytest.mark.parametrize(("setup", "kwargs", "reason"), [
    (lambda u: None, {"tokens": 500}, "A gift is 1 to 100 tokens"),
    (lambda u: None, {"tokens": 30}, "You have 20 tokens available"),
    (lambda u: None, {"email": "SELF"}, "cannot send a gift to yourself"),
    (lambda u: setattr(u, "growth_flagged_at", timezone.now()), {}, "not available"),
    (lambda u: setattr(u, "date_joined", timezone.now()), {}, "once your account is 1 day old"),
    (lambda u: EmailAddress.objects.filter(user=u).update(verified=False), {},
     "Verify your email"),
])
def test_each_limit_refuses_and_moves_nothing(sender, setup, kwargs, reason):
    setup(sender)
    sender.save()
    if kwargs.get("email") == "SELF":
        kwargs["email"] = sender.email.upper()
    with pytest.raises(GiftRefused, match=reason):
        gift(sender, **kwargs)
    assert Gift.objects.count() == 0 and user_balance(sender) == 20
    assert_ledger_healthy()


def test_at_most_five_gifts_a_day(sender):
    for _ in range(5):
        gift(sender, tokens=1)
    with pytest.raises(GiftRefused, match="at most 5 gifts in 24 hours"):
        gift(sender, tokens=1)
    assert Gift.objects.count() == 5 and user_balance(sender) == 15


@pytest.mark.django_db(transaction=True)
def test_a_form_sent_twice_at_once_makes_one_gift():
    user = sender_with()
    key = uuid.uuid4()
    results = race(*[lambda: gift(user, tokens=6, request_key=key)] * 3)
    assert len({r.pk for r in results}) == 1
    assert Gift.objects.count() == 1 and user_balance(user) == 14
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_and_two_return_runs_racing_move_the_tokens_once():
    user = sender_with()
    first = gift(user, email="race@example.com", tokens=5)
    claimant = make_verified_user(email="race@example.com")
    results = race(*[lambda: deliver_waiting_gifts(user=claimant, email="race@example.com")] * 3)
    assert sum(results) == 1 and user_balance(claimant) == 5

    second = gift(user, email="gone@example.com", tokens=2)
    later = timezone.now() + timedelta(days=31)
    assert sum(race(*[lambda: return_unclaimed_gifts(now=later)] * 3)) == 1
    assert user_balance(user) == 20 - 5
    assert {g.status for g in Gift.objects.filter(pk__in=[first.pk, second.pk])} == {
        "delivered", "returned"}
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_two_people_gifting_each_other_at_once_do_not_deadlock():
    one = sender_with(email="one@example.com")
    two = sender_with(email="two@example.com")
    results = race(lambda: gift(one, email="two@example.com", tokens=3),
                   lambda: gift(two, email="one@example.com", tokens=4))
    assert all(isinstance(r, Gift) for r in results)
    assert (user_balance(one), user_balance(two)) == (20 - 3 + 4, 20 - 4 + 3)
    assert_ledger_healthy()


def test_the_page_sends_and_lists_both_sides(client, sender):
    friend = make_verified_user(email="pal@example.com")
    client.force_login(sender)
    page = client.get(PAGE)
    assert "You have not sent a gift yet." in page.content.decode()
    nonce = page.context["form"].initial["nonce"]
    data = {"email": "pal@example.com", "tokens": "5", "message": "Thanks!", "nonce": nonce}
    done = client.post(PAGE, data, follow=True).content.decode()
    assert "5 tokens delivered to pal@example.com" in done and "data-gifts-sent" in done
    client.post(PAGE, data)  # the same form again: no second gift
    assert Gift.objects.count() == 1 and user_balance(sender) == 15
    client.force_login(friend)
    received = client.get(PAGE).content.decode()
    assert "Thanks!" in received and sender.email in received


def test_bad_input_re_renders_the_form_and_moves_nothing(client, sender):
    client.force_login(sender)
    for data in ({"email": "not-an-email", "tokens": "5"}, {"email": "a@example.com",
                                                            "tokens": "0"},
                 {"email": "a@example.com", "tokens": "999"},
                 {"email": "a@example.com", "tokens": "50"}):
        response = client.post(PAGE, {**data, "nonce": str(uuid.uuid4())})
        assert response.status_code == 400, data
        assert 'role="alert"' in response.content.decode()
    assert Gift.objects.count() == 0 and user_balance(sender) == 20


def test_a_new_user_is_told_why_they_cannot_send_yet(client, db):
    user = funded_user(5)
    EmailAddress.objects.create(user=user, email=user.email, verified=True)
    client.force_login(user)
    page = client.get(PAGE).content.decode()
    assert "once your account is 1 day old" in page and "Send gift" not in page
    assert client.get(PAGE).status_code == 200


def test_the_page_needs_a_sign_in(client, db):
    assert client.get(PAGE).status_code == 302


def test_beat_returns_gifts_that_are_due(sender, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["gifts-return-unclaimed"]
    assert (entry["task"], entry["schedule"]) == (return_unclaimed_gifts_task.name, 3600.0)
    due = gift(sender, email="nobody@example.com", tokens=4)
    gift(sender, email="later@example.com", tokens=1)
    Gift.objects.filter(pk=due.pk).update(return_due_at=timezone.now() - timedelta(minutes=1))
    assert return_unclaimed_gifts_task.apply().get() == 1
    assert user_balance(sender) == 20 - 1


def test_the_data_export_carries_gifts_on_both_sides(client, sender):
    friend = make_verified_user(email="pal@example.com")
    gift(sender, email="pal@example.com", tokens=3, message="Cheers")
    client.force_login(sender)
    sent = json.loads(client.get(reverse("accounts:data_export")).content)
    assert [(g["recipient_email"], g["tokens"], g["message"]) for g in sent["gifts"]["sent"]] == [
        ("pal@example.com", 3, "Cheers")]
    client.force_login(friend)
    received = json.loads(client.get(reverse("accounts:data_export")).content)
    assert [g["sender__email"] for g in received["gifts"]["received"]] == [sender.email]
    assert received["daily_bonus"] == [] and received["referrals"]["referred"] == []
