"""What a staff member reads about a customer's checkouts on the dashboard: the state in
words, what was actually charged and what went back."""

import re

import pytest

from billing.models import Purchase
from billing.services import complete_local_checkout, create_checkout_session
from tokens.services import spend_tokens

pytestmark = pytest.mark.django_db


def purchase_cells(html: str, purchase) -> list[str]:
    """The text of each cell of `purchase`'s row in the staff user page."""
    row = re.search(rf'<tr data-purchase="{purchase.public_id}">(.*?)</tr>', html, re.S)
    assert row, f"no row for purchase {purchase.public_id}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_each_checkout_shows_its_state_and_what_it_actually_charged(
    staff_client, buyer, purchase_history
):
    html = staff_client.get(f"/dashboard/users/{buyer.pk}/").content.decode()

    def row(name):
        _created, pack, state, charged, refunded = purchase_cells(html, purchase_history[name])
        return pack, state, charged, refunded

    assert purchase_history["abandoned"].status == Purchase.Status.EXPIRED
    assert row("abandoned") == (
        "Starter",
        "Not completed Checkout for $4.00 closed without payment; nothing was charged.",
        "$0.00", "$0.00",
    )
    assert row("open") == (
        "Professional", "Awaiting payment Checkout for $20.00 started; not paid yet.",
        "$0.00", "$0.00",
    )
    assert row("paid") == ("Starter", "Paid", "$5.00", "$0.00")
    assert row("partly_refunded") == ("Professional", "Partially refunded", "$16.00", "$8.00")
    assert row("refunded") == ("Enterprise", "Refunded", "$60.00", "$60.00")


def test_a_refund_after_its_tokens_were_spent_asks_for_review(staff_client, buyer, checkouts):
    purchase = checkouts.pay(checkouts.open("professional"))
    buyer.refresh_from_db()
    spend_tokens(account=buyer.token_account, amount=20, idempotency_key="test:staff:spend")
    purchase = checkouts.refund(purchase)

    html = staff_client.get(f"/dashboard/users/{buyer.pk}/").content.decode()

    assert purchase_cells(html, purchase)[2:] == [
        "Refunded Refunded after 20 of its tokens were spent; needs review.", "$16.00", "$16.00"
    ]


def test_a_local_test_checkout_charged_nothing(staff_client, buyer, packs, settings):
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = True, ""
    purchase = create_checkout_session(
        user=buyer, pack=packs["starter"], base_url="http://testserver"
    ).purchase
    complete_local_checkout(purchase=purchase)
    settings.DEBUG = False

    html = staff_client.get(f"/dashboard/users/{buyer.pk}/").content.decode()

    assert purchase_cells(html, purchase)[2:] == [
        "Paid Local test checkout; nothing was charged.", "$0.00", "$0.00"
    ]
