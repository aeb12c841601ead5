"""A refunded purchase whose tokens were given away as gifts: the gifted part is taken back
from the buyer's other tokens first, and what cannot be is left flagged for review — with the
purchase paid and refunded through Stripe's own events."""

import uuid
from datetime import timedelta

from django.utils import timezone

from gifts.services import send_gift
from tests.builders import make_verified_user, new_key
from tests.helpers import assert_ledger_healthy, user_balance
from tokens.models import LedgerEntry
from tokens.services import grant_tokens


def test_gifted_tokens_of_a_refunded_purchase_come_back_from_the_buyer_first(
        checkouts, buyer, django_capture_on_commit_callbacks):
    buyer.date_joined = timezone.now() - timedelta(days=3)
    buyer.save()
    friend = make_verified_user(email="friend@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        purchase = checkouts.pay(checkouts.open("starter"))  # 10 paid tokens
    send_gift(sender=buyer, email=friend.email, tokens=8, message="", request_key=uuid.uuid4())
    grant_tokens(account=buyer.token_account, amount=5, kind="promo",
                 idempotency_key=new_key("later"))  # tokens the buyer got later
    assert user_balance(buyer) == 2 + 5

    with django_capture_on_commit_callbacks(execute=True):
        refunded = checkouts.refund(purchase)
    with django_capture_on_commit_callbacks(execute=True):
        checkouts.refund(purchase)  # reported again: nothing more
    # Billing took the 2 left in the lot; 5 of the 8 gifted came from the buyer's other tokens.
    assert refunded.tokens_clawed_back == 2 and refunded.clawback_shortfall == 8
    assert user_balance(buyer) == 0 and user_balance(friend) == 8
    recovered = LedgerEntry.objects.get(idempotency_key__startswith=f"gift-refund:{purchase.pk}:")
    assert recovered.amount == -5
    assert refunded.needs_review  # 3 could not be recovered
    assert_ledger_healthy()
