"""Referrals: a link, a sign-up through it, the referee's bonus at once and the referrer's when
the referee qualifies — each once — and the fraud gates that refuse or hold the rest."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AnonymousVisitor, SignInRecord, User
from accounts.selectors import visitor_cookie_name
from referrals.models import Referral, ReferralOpen
from referrals.services import (
    check_qualification,
    get_profile,
    regenerate_code,
    reward_referral,
)
from tests.builders import (
    generated_ticket,
    make_verified_user,
    make_visitor,
    signed_visitor_cookie,
)
from tests.factories import PASSWORD
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import LedgerEntry

Status = Referral.Status
# A newcomer's sign-up bonus and the free tokens their browser had as a visitor.
JOINED = 6 + 3
SIGNUP = {"password1": "A-long-pass-phrase-42", "password2": "A-long-pass-phrase-42"}


@pytest.fixture
def referrer(db):
    user = make_verified_user(email="ann@referrer.example")
    SignInRecord.objects.create(user=user, ip="198.51.100.10", device="x")
    return user


def join(code: str, email: str, *, ip: str = "203.0.113.99", client: Client | None = None):
    """A newcomer opens the link and signs up (a fresh browser unless `client`)."""
    client = client or Client(REMOTE_ADDR=ip)
    client.get(reverse("referrals:follow", args=[code]))
    response = client.post(reverse("account_signup"), {"email": email, **SIGNUP})
    assert response.status_code == 302, response.content[:500]
    return User.objects.get(email=email), client


def verify(client, user) -> None:
    address = EmailAddress.objects.get(user=user)
    client.post(reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key]))


def make_tickets(user, n, capture) -> None:
    for _ in range(n):
        with capture(execute=True):
            generated_ticket(user.token_account, owner=user)


def test_a_referee_gets_a_bonus_and_the_referrer_is_rewarded_once_they_qualify(
        referrer, offline, settings, django_capture_on_commit_callbacks):
    code = get_profile(user=referrer).code
    with django_capture_on_commit_callbacks(execute=True):
        referee, client = join(code, "bob@newco.example")
    referral = Referral.objects.get(referee=referee)
    assert (referral.referrer, referral.status) == (referrer, Status.SIGNED_UP)
    assert user_balance(referee) == JOINED + 5
    bonus = LedgerEntry.objects.get(idempotency_key=f"referral:{referral.pk}:referee")
    assert bonus.kind == "referral" and bonus.lot.expires_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        verify(client, referee)
    make_tickets(referee, 2, django_capture_on_commit_callbacks)
    assert Referral.objects.get(pk=referral.pk).status == Status.SIGNED_UP  # 2 of 3
    make_tickets(referee, 1, django_capture_on_commit_callbacks)
    referral.refresh_from_db()
    assert referral.status == Status.REWARDED and user_balance(referrer) == 10
    make_tickets(referee, 1, django_capture_on_commit_callbacks)
    check_qualification(referee=referee)
    assert user_balance(referrer) == 10  # once

    page = Client()
    page.force_login(referrer)
    html = page.get(reverse("referrals:referrals")).content.decode()
    assert "bob@newco.example" in html and "Rewarded" in html and "10 tokens earned" in html
    assert_ledger_healthy()


def test_opens_are_counted_once_per_browser_and_a_retired_code_is_ignored(referrer):
    profile = get_profile(user=referrer)
    client = Client()
    for _ in range(3):
        response = client.get(reverse("referrals:follow", args=[profile.code]))
        assert response["Location"] == reverse("account_signup")
    Client().get(reverse("referrals:follow", args=[profile.code]))
    assert ReferralOpen.objects.count() == 2
    old = profile.code
    regenerate_code(user=referrer)
    referee, _ = join(old, "late@newco.example")
    assert not Referral.objects.exists() and ReferralOpen.objects.count() == 2
    assert user_balance(referee) == JOINED  # no referral bonus
    assert Client().get("/r/nonsense").status_code == 302


@pytest.mark.parametrize(("email", "client_kind", "status", "reason"), [
    ("eve@mailinator.com", "fresh", Status.REFUSED, "Disposable"),
    ("eve@sub.yopmail.com", "fresh", Status.REFUSED, "Disposable"),
    ("eve@newco.example", "same_browser", Status.REFUSED, "same person"),
    ("eve@newco.example", "referrers_visitor", Status.REFUSED, "same person"),
    ("ann2@referrer.example", "same_network", Status.REFUSED, "same person"),
    ("eve@newco.example", "same_network", Status.HELD, "same network"),
    ("eve@newco.example", "fresh", Status.SIGNED_UP, ""),
    ("ann2@referrer.example", "fresh", Status.SIGNED_UP, ""),
])
def test_fraud_gates(referrer, email, client_kind, status, reason):
    code = get_profile(user=referrer).code
    client = None
    if client_kind == "same_browser":
        client = Client(REMOTE_ADDR="192.0.2.1")
        client.post(reverse("account_login"), {"login": referrer.email, "password": PASSWORD})
        client.post(reverse("account_logout"))
    elif client_kind == "referrers_visitor":
        # The browser the referrer used as a visitor before signing up (its cookie kept).
        visitor = make_visitor(ip="192.0.2.5")
        AnonymousVisitor.objects.filter(pk=visitor.pk).update(merged_into=referrer,
                                                              merged_at=timezone.now())
        client = Client(REMOTE_ADDR="192.0.2.5")
        client.cookies[visitor_cookie_name()] = signed_visitor_cookie(visitor.public_id)
    elif client_kind == "same_network":
        client = Client(REMOTE_ADDR="198.51.100.10")
    referee, _ = join(code, email, client=client)
    referral = Referral.objects.get(referee=referee)
    assert referral.status == status and reason in referral.reason
    flagged = status in (Status.REFUSED, Status.HELD)
    assert (referee.growth_flagged_at is not None) == flagged
    assert (referral.referee_entry is None) == flagged
    # The referrer's old visitor cookie brings no free tokens: they were carried over already.
    base = 6 if client_kind == "referrers_visitor" else JOINED
    assert user_balance(referee) == base + (0 if flagged else 5)


def test_the_same_network_long_ago_is_not_held(referrer):
    SignInRecord.objects.filter(user=referrer).update(
        created_at=timezone.now() - timedelta(hours=100))
    referee, _ = join(get_profile(user=referrer).code, "eve@newco.example",
                      ip="198.51.100.10")
    assert Referral.objects.get(referee=referee).status == Status.SIGNED_UP


def qualified_referrals(referrer, n):
    """`n` referees of `referrer`'s, signed up and verified, not yet rewarded."""
    code = get_profile(user=referrer).code
    made = []
    for i in range(n):
        referee, client = join(code, f"r{i}@newco{i}.example", ip=f"203.0.113.{10 + i}")
        verify(client, referee)
        made.append(Referral.objects.get(referee=referee))
    return made


def test_the_monthly_cap_and_tiers(referrer, settings):
    settings.REFERRAL_MONTHLY_CAP = 2
    settings.REFERRAL_TIERS = [(2, 20), (3, 50)]
    for referral in qualified_referrals(referrer, 3):
        reward_referral(referral_id=referral.pk)
    statuses = sorted(Referral.objects.values_list("status", flat=True))
    assert statuses == [Status.QUALIFIED, Status.REWARDED, Status.REWARDED]
    capped = Referral.objects.get(status=Status.QUALIFIED)
    assert "limit" in capped.reason
    # 2 rewards + the tier at 2 + the tier at 3 (a capped referral still counts for tiers).
    assert user_balance(referrer) == 10 + 10 + 20 + 50
    reward_referral(referral_id=capped.pk)
    assert user_balance(referrer) == 90
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_a_referee_qualifying_twice_at_once_rewards_once(settings):
    referrer = make_verified_user(email="ann@referrer.example")
    referral = qualified_referrals(referrer, 1)[0]
    results = race(*[lambda: reward_referral(referral_id=referral.pk)] * 3)
    assert {r.status for r in results} == {Status.REWARDED}
    assert user_balance(referrer) == 10
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_qualifications_racing_past_the_cap_reward_at_most_the_cap(settings):
    settings.REFERRAL_MONTHLY_CAP = 1
    settings.REFERRAL_TIERS = []
    referrer = make_verified_user(email="ann@referrer.example")
    first, second = qualified_referrals(referrer, 2)
    race(lambda: reward_referral(referral_id=first.pk),
         lambda: reward_referral(referral_id=second.pk))
    assert Referral.objects.filter(status=Status.REWARDED).count() == 1
    assert user_balance(referrer) == 10
    assert_ledger_healthy()


def test_the_leaderboard_shows_only_those_who_opted_in(referrer, client):
    for referral in qualified_referrals(referrer, 2):
        reward_referral(referral_id=referral.pk)
    client.force_login(referrer)
    assert "Nobody on the leaderboard this month yet." in client.get(
        reverse("referrals:referrals")).content.decode()
    client.post(reverse("referrals:leaderboard"), {"on_leaderboard": "on",
                                                   "display_name": "Ann"})
    html = client.get(reverse("referrals:referrals")).content.decode()
    assert "Ann — 2 qualified" in html
    client.post(reverse("referrals:leaderboard"), {"on_leaderboard": "on", "display_name": ""})
    assert "anonymous — 2 qualified" in client.get(reverse("referrals:referrals")).content.decode()
    too_long = client.post(reverse("referrals:leaderboard"), {"display_name": "x" * 41},
                           follow=True)
    assert "at most 40 characters" in too_long.content.decode()


def test_the_page_shows_the_link_and_share_buttons(referrer, client):
    client.force_login(referrer)
    html = client.get(reverse("referrals:referrals")).content.decode()
    code = get_profile(user=referrer).code
    assert f"/r/{code}" in html and "twitter.com/intent/tweet" in html
    assert "linkedin.com/sharing" in html and "Nobody has joined through your link yet." in html
    client.post(reverse("referrals:regenerate"))
    assert get_profile(user=referrer).code != code
    assert Client().get(reverse("referrals:referrals")).status_code == 302
