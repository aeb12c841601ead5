"""The staff's Growth page: the referral funnel, the held queue decided with a reason (and
audit-logged), tokens granted for growth, daily-bonus uptake and gifts — counted from rows."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SignInRecord, StaffAction
from bonuses.services import claim_daily_bonus
from gifts.services import send_gift
from referrals.models import Referral
from referrals.services import get_profile, reward_referral
from tests.builders import make_verified_user
from tests.helpers import assert_ledger_healthy, user_balance
from tests.referrals.test_referrals import JOINED, join, verify

PAGE = reverse("admin_dashboard:growth")


@pytest.fixture
def referrer(db):
    user = make_verified_user(email="ann@referrer.example")
    SignInRecord.objects.create(user=user, ip="198.51.100.10", device="x")
    return user


def test_figures_count_the_rows(referrer, staff_client):
    code = get_profile(user=referrer).code
    Client().get(reverse("referrals:follow", args=[code]))  # opened, never joined
    rewarded, client = join(code, "bob@newco.example")
    verify(client, rewarded)
    reward_referral(referral_id=rewarded.referral.pk)
    join(code, "eve@newco.example", ip="198.51.100.10")  # held: same network
    join(code, "eve@mailinator.com")  # refused
    claim_daily_bonus(user=referrer)
    referrer.date_joined = timezone.now() - timedelta(days=5)
    referrer.save()
    send_gift(sender=referrer, email="pal@example.com", tokens=3, message="",
              request_key=uuid.uuid4())

    c = staff_client.get(PAGE).context
    assert c["funnel"] == {"opened": 4, "signed_up": 3, "qualified": 1, "rewarded": 1,
                           "held": 1, "refused": 1}
    assert [r.referee.email for r in c["held"]] == ["eve@newco.example"]
    granted = dict(c["granted"])
    # Bob's 5 + Ann's 10; Ann's daily 2; three sign-ups' welcome bonuses.
    assert granted == {"Referral rewards and bonuses": 15, "Daily bonuses": 2,
                       "Sign-up bonuses": 3 * 6}
    assert c["bonus"] == {"claims": 1, "users": 1, "tokens": 2, "retained": 0}
    assert (c["gifts"]["sent"], c["gifts"]["tokens"], c["gifts"]["waiting"]) == (1, 3, 1)
    assert c["top"][0]["referrer__email"] == referrer.email


def test_staff_approve_a_held_referral_with_a_reason_and_it_is_logged(referrer, staff,
                                                                      staff_client):
    referee, client = join(get_profile(user=referrer).code, "eve@newco.example",
                           ip="198.51.100.10")
    referral = Referral.objects.get(referee=referee)
    decide = reverse("admin_dashboard:decide_referral", args=[referral.pk])
    no_reason = staff_client.post(decide, {"decision": "approve", "reason": " "}, follow=True)
    assert "Give a reason" in no_reason.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == "held"

    staff_client.post(decide, {"decision": "approve", "reason": "Same office, checked"})
    referral.refresh_from_db()
    referee.refresh_from_db()
    assert referral.status == "signed_up" and referee.growth_flagged_at is None
    assert user_balance(referee) == JOINED + 5
    action = StaffAction.objects.get(action="approve_referral")
    assert (action.actor, action.target, action.reason) == (staff, referee,
                                                            "Same office, checked")
    again = staff_client.post(decide, {"decision": "reject", "reason": "late"}, follow=True)
    assert "already decided" in again.content.decode()
    verify(client, referee)  # it then qualifies like any other
    assert user_balance(referrer) == 0  # no purchase or tickets yet
    assert_ledger_healthy()


def test_staff_reject_a_held_referral(referrer, staff_client):
    referee, _ = join(get_profile(user=referrer).code, "eve@newco.example",
                      ip="198.51.100.10")
    referral = Referral.objects.get(referee=referee)
    staff_client.post(reverse("admin_dashboard:decide_referral", args=[referral.pk]),
                      {"decision": "reject", "reason": "Two accounts, one person"})
    referral.refresh_from_db()
    assert (referral.status, referral.reason) == ("refused", "Two accounts, one person")
    assert StaffAction.objects.filter(action="reject_referral").count() == 1
    assert "No referral is waiting for a decision." in staff_client.get(PAGE).content.decode()


def test_the_page_is_staff_only(client, referrer):
    client.force_login(referrer)
    assert client.get(PAGE).status_code == 404
