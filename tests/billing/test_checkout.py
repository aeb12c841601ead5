"""Opening checkouts: the Stripe request, the first-purchase discount, and the pages."""

import re

import pytest
from django.urls import reverse
from djstripe.models import Customer

from billing.models import Purchase
from billing.services import fulfill_checkout
from tests.builders import make_verified_user


def buy(client, slug):
    return client.post(reverse("billing:checkout", args=[slug]))


def session_posts(fake_stripe):
    return fake_stripe.posts("/v1/checkout/sessions")


def test_checkout_opens_a_stripe_session_for_the_users_customer(
    client, fake_stripe, synced_catalog, buyer
):
    client.force_login(buyer)

    response = buy(client, "professional")

    purchase = Purchase.objects.get()
    session = fake_stripe.objects[purchase.stripe_checkout_session_id]
    assert response.status_code == 303
    assert response["Location"] == session["url"]
    params = session_posts(fake_stripe)[0]
    assert params["mode"] == "payment"
    assert params["line_items"]["0"] == {
        "price": synced_catalog["professional"].stripe_price_id,
        "quantity": "1",
    }
    buyer.refresh_from_db()
    assert params["metadata"] == {
        "pack": "professional",
        "token_account": str(buyer.token_account_id),
        "user": str(buyer.pk),
        "purchase": str(purchase.public_id),
        "quantity": "1",
        "tokens": "50",
        "bonus_tokens": "0",
    }
    assert params["payment_intent_data"]["metadata"] == params["metadata"]
    customer = Customer.objects.get(subscriber=buyer)
    assert params["customer"] == customer.id
    assert purchase.status == Purchase.Status.OPEN
    # The API request carried an idempotency key derived from our purchase.
    request = next(
        call for call in fake_stripe.raw_requests if call.url.endswith("/v1/checkout/sessions")
    )
    assert request.headers["Idempotency-Key"] == f"myba-checkout-{purchase.public_id}"


def test_customer_is_created_once(client, fake_stripe, synced_catalog, buyer):
    client.force_login(buyer)
    buy(client, "starter")
    buy(client, "enterprise")
    assert len(fake_stripe.posts("/v1/customers")) == 1
    assert Customer.objects.filter(subscriber=buyer).count() == 1


def test_first_purchase_discount_applies_to_the_first_checkout_only(
    client, fake_stripe, synced_catalog, buyer
):
    client.force_login(buyer)
    buy(client, "professional")
    first = Purchase.objects.get()
    fake_stripe.complete_session(first.stripe_checkout_session_id)
    fulfill_checkout(session=fake_stripe.objects[first.stripe_checkout_session_id])

    buy(client, "professional")

    first_params, second_params = session_posts(fake_stripe)
    assert first_params["discounts"] == {"0": {"coupon": "myba-first-purchase-20pct"}}
    assert "discounts" not in second_params
    first.refresh_from_db()
    second = Purchase.objects.exclude(pk=first.pk).get()
    assert (first.first_purchase_discount, first.amount_total) == (True, 1600)
    assert (second.first_purchase_discount, second.amount_total) == (False, 2000)


def test_an_abandoned_discounted_session_is_replaced_and_keeps_the_discount(
    client, fake_stripe, synced_catalog, buyer
):
    client.force_login(buyer)
    buy(client, "starter")
    abandoned = Purchase.objects.get()

    buy(client, "enterprise")

    abandoned.refresh_from_db()
    assert abandoned.status == Purchase.Status.EXPIRED
    assert fake_stripe.objects[abandoned.stripe_checkout_session_id]["status"] == "expired"
    latest = Purchase.objects.exclude(pk=abandoned.pk).get()
    assert latest.first_purchase_discount is True
    assert "discounts" in session_posts(fake_stripe)[-1]


def test_a_discount_is_not_reused_when_the_old_session_was_paid_meanwhile(
    client, fake_stripe, synced_catalog, buyer
):
    client.force_login(buyer)
    buy(client, "starter")
    paid_meanwhile = Purchase.objects.get()
    fake_stripe.complete_session(paid_meanwhile.stripe_checkout_session_id)

    buy(client, "enterprise")

    paid_meanwhile.refresh_from_db()
    assert paid_meanwhile.first_purchase_discount is True
    assert paid_meanwhile.status == Purchase.Status.OPEN  # its webhook will credit it
    assert "discounts" not in session_posts(fake_stripe)[-1]


def test_stripe_failure_shows_a_message_and_charges_nothing(
    client, fake_stripe, synced_catalog, buyer
):
    client.force_login(buyer)
    fake_stripe.failing.add("/v1/checkout/sessions")

    response = buy(client, "starter")

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:pricing")
    page = client.get(response["Location"])
    assert "Nothing was charged" in page.content.decode()
    assert Purchase.objects.get().status == Purchase.Status.EXPIRED


def test_unknown_pack_redirects_with_a_message(client, fake_stripe, synced_catalog, buyer):
    client.force_login(buyer)
    response = buy(client, "platinum")
    assert response["Location"] == reverse("billing:pricing")
    assert "not on sale" in client.get(response["Location"]).content.decode()
    assert not Purchase.objects.exists()


def test_visitors_must_sign_in_to_buy(client, packs):
    response = buy(client, "starter")
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_pricing_page_for_a_new_user(client, fake_stripe, synced_catalog, buyer, prices):
    client.force_login(buyer)
    html = client.get(reverse("billing:pricing")).content.decode()
    for name, price in (("Starter", "$4.00"), ("Professional", "$16.00"), ("Enterprise", "$48.00")):
        assert name in html and price in html
    for slug in synced_catalog:
        # Each Buy form is guarded against a double submit (form[data-busy], static/js/app.js).
        action = reverse("billing:checkout", args=[slug])
        form = re.search(rf'<form [^>]*action="{re.escape(action)}"[^>]*>', html)
        assert form and " data-busy" in form.group(0), slug
    assert "20% off your first purchase" in html
    assert "per token" in html
    assert "1 Standard ticket = 1 token" in html
    assert "1 Advanced ticket = 3 tokens" in html
    assert "TEST MODE" not in html  # keys are configured


def test_pricing_page_for_a_visitor_asks_to_sign_up(client, packs, settings):
    settings.STRIPE_TEST_SECRET_KEY = ""
    html = client.get(reverse("billing:pricing")).content.decode()
    assert "Sign up to buy" in html
    for slug in packs:
        assert reverse("billing:checkout", args=[slug]) not in html  # no Buy form to post
    assert "TEST MODE" not in html  # DEBUG is off


@pytest.mark.parametrize(
    ("debug", "key", "exists"),
    [
        (True, "", True),
        (False, "", False),
        (True, "sk_test_51MyBATestKey0123456789abcdefXYZ", False),
    ],
)
def test_local_test_checkout_exists_only_in_debug_without_keys(
    client, packs, buyer, settings, debug, key, exists
):
    settings.DEBUG = debug
    settings.STRIPE_TEST_SECRET_KEY = key
    client.force_login(buyer)
    pricing = client.get(reverse("billing:pricing")).content.decode()
    assert ("TEST MODE" in pricing) is exists
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = True, ""
    buy(client, "starter")
    purchase = Purchase.objects.get()
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = debug, key

    page = client.get(reverse("billing:test_checkout", args=[purchase.public_id]))
    completed = client.post(reverse("billing:test_checkout", args=[purchase.public_id]))

    assert page.status_code == (200 if exists else 404)
    assert completed.status_code == (302 if exists else 404)
    purchase.refresh_from_db()
    assert purchase.is_credited is exists


def test_local_test_checkout_credits_through_fulfilment_once(client, packs, buyer, settings):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    client.force_login(buyer)

    response = buy(client, "professional")
    purchase = Purchase.objects.get()
    assert response.status_code == 303
    assert response["Location"].endswith(
        reverse("billing:test_checkout", args=[purchase.public_id])
    )
    page = client.get(response["Location"]).content.decode()
    assert "4242 4242 4242 4242" in page and "nothing is charged" in page
    url = reverse("billing:test_checkout", args=[purchase.public_id])
    done = client.post(url)
    client.post(url)  # a second submit (double click, back button) credits nothing

    assert done["Location"] == (
        reverse("billing:success") + f"?session_id={purchase.stripe_checkout_session_id}"
    )
    buyer.refresh_from_db()
    buyer.token_account.refresh_from_db()
    assert buyer.token_account.balance == 50
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.PAID
    assert purchase.test_mode and purchase.amount_total == 1600


def test_success_page_polls_until_credited_then_shows_the_balance(client, packs, buyer, settings):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    client.force_login(buyer)
    buy(client, "starter")
    purchase = Purchase.objects.get()
    url = reverse("billing:success") + f"?session_id={purchase.stripe_checkout_session_id}"

    waiting = client.get(url).content.decode()
    assert "Payment received — crediting your tokens…" in waiting
    assert 'hx-trigger="load delay:2s"' in waiting

    late = client.get(url + "&poll=10", headers={"HX-Request": "true"}).content.decode()
    assert "Stripe has not confirmed it to us yet" in late
    assert "<html" not in late
    assert 'hx-trigger="load delay:10s"' in late

    client.post(reverse("billing:test_checkout", args=[purchase.public_id]))
    done = client.get(url + "&poll=3", headers={"HX-Request": "true"})
    html = done.content.decode()
    assert "10 tokens added" in html
    assert "hx-get" not in html  # polling stops
    assert "tokens-changed" in done["HX-Trigger"]


@pytest.mark.parametrize(
    "session_id", ["\x00", "cs_test_a\x00b", "cs_test_a b", "pi_123", "cs_test_" + "a" * 300]
)
def test_success_page_with_a_malformed_session_id_finds_nothing(client, buyer, settings,
                                                               session_id):
    """A NUL once reached PostgreSQL from here (DataError, a 500); ids are checked first."""
    settings.DEBUG = False
    client.force_login(buyer)
    response = client.get(reverse("billing:success"), {"session_id": session_id, "poll": "x"})
    assert response.status_code == 200
    assert "We could not find that checkout on your account." in response.content.decode()


def test_cancel_page_says_nothing_was_charged(client, db):
    html = client.get(reverse("billing:cancel")).content.decode()
    assert "Nothing was charged" in html
    assert reverse("billing:pricing") in html


def test_history_lists_purchases_with_receipts(client, packs, buyer, settings):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    other = make_verified_user()
    client.force_login(other)
    buy(client, "enterprise")
    client.force_login(buyer)
    buy(client, "professional")
    purchase = Purchase.objects.get(user=buyer)
    client.post(reverse("billing:test_checkout", args=[purchase.public_id]))

    html = client.get(reverse("billing:history")).content.decode()

    assert "Professional" in html and "Enterprise" not in html
    assert "$16.00" in html and "Paid" in html
    receipt_url = reverse("billing:receipt", args=[purchase.public_id])
    assert receipt_url in html
    receipt = client.get(receipt_url).content.decode()
    assert "First-purchase discount" in receipt and "$16.00" in receipt
    other_purchase = Purchase.objects.get(user=other)
    assert (
        client.get(reverse("billing:receipt", args=[other_purchase.public_id])).status_code == 404
    )
