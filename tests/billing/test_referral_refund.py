"""A referee's first purchase qualifies their referral (through billing's `purchase_paid`);
refunding it in full takes back what is left of the referrer's reward, once (through
`purchase_refunded`), with the purchase paid and refunded by Stripe's own events."""

from referrals.models import Referral
from referrals.services import get_profile, start_referral
from tests.builders import make_request, make_verified_user
from tests.helpers import assert_ledger_healthy, user_balance


def test_a_refunded_qualifying_purchase_claws_back_the_referrers_reward(
        checkouts, buyer, django_capture_on_commit_callbacks):
    referrer = make_verified_user(email="ann@referrer.example")
    referral = start_referral(referee=buyer, code=get_profile(user=referrer).code,
                              request=make_request(ip="203.0.113.80"))
    assert referral.status == "signed_up"
    with django_capture_on_commit_callbacks(execute=True):
        purchase = checkouts.pay(checkouts.open("starter"))
    referral.refresh_from_db()
    assert referral.status == "rewarded" and referral.qualifying_purchase_id == purchase.pk
    assert user_balance(referrer) == 10

    with django_capture_on_commit_callbacks(execute=True):
        checkouts.refund(purchase, 200)  # partly: the reward stays
    assert user_balance(referrer) == 10
    with django_capture_on_commit_callbacks(execute=True):
        checkouts.refund(purchase)  # in full
    with django_capture_on_commit_callbacks(execute=True):
        checkouts.refund(purchase)  # reported again
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.tokens_clawed_back == 10 and referral.clawed_back_at is not None
    assert user_balance(referrer) == 0
    assert_ledger_healthy()
