"""Promotion codes: staff make and retire them on the dashboard (a Stripe Coupon + PromotionCode
each, through the fake Stripe), customers redeem them on Stripe's page, and the signed
`checkout.session.completed` records the code and the amount charged on the purchase."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import PromotionCode, Purchase, SubscriptionPlan
from billing.services import create_checkout_session, create_promotion_code
from tests.builders import client_for
from tests.helpers import assert_ledger_healthy, user_balance

PAGE = reverse("admin_dashboard:promotions")


def form(**overrides) -> dict:
    data = {"code": "spring25", "percent_off": "25", "amount_off": "", "currency": "usd",
            "expires_at": "", "max_redemptions": "", "applies_to": ["packs"],
            "nonce": str(uuid.uuid4())}
    return {**data, **overrides}


def promo_coupons(fake_stripe) -> list[dict]:
    """Coupons made for promotion codes (the catalog sync makes the first-purchase one)."""
    return [c for c in fake_stripe.posts("/v1/coupons") if "myba_promotion" in
            c.get("metadata", {})]


def make_code(actor, **fields) -> PromotionCode:
    return create_promotion_code(actor=actor, request_key=uuid.uuid4(),
                                 **{"code": "SPRING25", "percent_off": 25, **fields})


def test_staff_create_a_code_in_stripe_and_here(staff_client, staff, fake_stripe,
                                                synced_catalog):
    expires = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    response = staff_client.post(PAGE, form(
        expires_at=expires.strftime("%Y-%m-%dT%H:%M"), max_redemptions="100",
        first_time_only="on"))

    assert response.status_code == 302
    promotion = PromotionCode.objects.get()
    assert (promotion.code, promotion.percent_off, promotion.expires_at,
            promotion.max_redemptions, promotion.first_time_only, promotion.created_by) == (
        "SPRING25", 25, expires, 100, True, staff)
    coupon = promo_coupons(fake_stripe)[-1]
    assert coupon["percent_off"] == "25" and coupon["duration"] == "once"
    # Packs only: the coupon is restricted to the packs' Stripe products.
    assert sorted(coupon["applies_to"]["products"].values()) == sorted(
        pack.stripe_product_id for pack in synced_catalog.values())
    code = fake_stripe.posts("/v1/promotion_codes")[0]
    assert code["code"] == "SPRING25"
    assert code["promotion"] == {"type": "coupon", "coupon": promotion.stripe_coupon_id}
    assert code["expires_at"] == str(int(expires.timestamp()))
    assert code["max_redemptions"] == "100"
    assert code["restrictions"] == {"first_time_transaction": "true"}
    assert fake_stripe.objects[promotion.stripe_promotion_code_id]["code"] == "SPRING25"
    keys = [r.headers.get("Idempotency-Key", "") for r in fake_stripe.raw_requests
            if r.url.endswith(("/v1/coupons", "/v1/promotion_codes"))][-2:]
    assert keys == [f"myba-promo-coupon-{promotion.request_key}",
                    f"myba-promo-code-{promotion.request_key}"]

    page = staff_client.get(PAGE).content.decode()
    assert "SPRING25" in page and "25% off" in page


def test_the_same_form_submitted_twice_makes_one_code(staff_client, fake_stripe,
                                                      synced_catalog):
    data = form(amount_off="5.00", percent_off="")
    assert staff_client.post(PAGE, data).status_code == 302
    assert staff_client.post(PAGE, data).status_code == 302
    assert PromotionCode.objects.get().amount_off == 500
    assert len(fake_stripe.posts("/v1/promotion_codes")) == 1


@pytest.mark.parametrize("bad, message", [
    ({"percent_off": "25", "amount_off": "5"}, "either a percent off or an amount off"),
    ({"percent_off": "", "amount_off": ""}, "either a percent off or an amount off"),
    ({"percent_off": "120"}, "less than or equal to 100"),
    ({"code": "no spaces!"}, "letters, digits or dashes"),
    ({"expires_at": "2020-01-01T00:00"}, "in the future"),
    ({"applies_to": []}, "Choose what the code applies to"),
    ({"max_redemptions": "0"}, "greater than or equal to 1"),
])
def test_bad_input_re_renders_the_form_and_changes_nothing(staff_client, fake_stripe,
                                                           synced_catalog, bad, message):
    response = staff_client.post(PAGE, form(**bad))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PromotionCode.objects.exists()
    assert promo_coupons(fake_stripe) == fake_stripe.posts("/v1/promotion_codes") == []


def test_a_stripe_failure_says_so_and_leaves_no_row(staff_client, fake_stripe, synced_catalog):
    fake_stripe.failing.add("/v1/promotion_codes")

    response = staff_client.post(PAGE, form())

    assert response.status_code == 400
    assert "Stripe did not create the code" in response.content.decode()
    assert not PromotionCode.objects.exists()
    # Retrying the same form once Stripe is back reuses the coupon (same idempotency key).
    fake_stripe.failing.clear()
    nonce = response.context["form"]["nonce"].value()
    assert staff_client.post(PAGE, form(nonce=nonce)).status_code == 302
    assert len({c["metadata"]["myba_promotion"] for c in promo_coupons(fake_stripe)}) == 1
    assert PromotionCode.objects.get().stripe_coupon_id in fake_stripe.objects


def test_an_active_code_cannot_be_made_twice(staff_client, staff, fake_stripe, synced_catalog):
    make_code(staff)
    response = staff_client.post(PAGE, form(code="Spring25"))
    assert response.status_code == 400
    assert "An active code SPRING25 exists already" in response.content.decode()
    assert PromotionCode.objects.count() == 1


def test_a_plans_only_code_applies_to_the_plan_products(staff_client, fake_stripe,
                                                        synced_catalog):
    response = staff_client.post(PAGE, form(applies_to=["plans"]))
    assert response.status_code == 302
    coupon = fake_stripe.objects[PromotionCode.objects.get().stripe_coupon_id]
    assert sorted(coupon["applies_to"]["products"]) == sorted(
        SubscriptionPlan.objects.values_list("stripe_product_id", flat=True))


def test_a_code_for_nothing_in_stripe_is_refused(staff_client, fake_stripe, packs, plans):
    response = staff_client.post(PAGE, form(applies_to=["plans"]))
    assert response.status_code == 400
    assert "sync_stripe_catalog" in response.content.decode()
    assert not PromotionCode.objects.exists()


def test_deactivating_deactivates_the_stripe_code(staff_client, staff, fake_stripe,
                                                  synced_catalog):
    promotion = make_code(staff)
    url = reverse("admin_dashboard:deactivate_promotion", args=[promotion.pk])

    fake_stripe.failing.add(f"/v1/promotion_codes/{promotion.stripe_promotion_code_id}")
    staff_client.post(url)
    promotion.refresh_from_db()
    assert promotion.active  # Stripe unreachable: still active here and there

    fake_stripe.failing.clear()
    assert staff_client.post(url).status_code == 302
    promotion.refresh_from_db()
    assert not promotion.active and promotion.deactivated_at is not None
    assert fake_stripe.objects[promotion.stripe_promotion_code_id]["active"] is False


def test_promotions_page_is_staff_only(client, buyer, fake_stripe):
    assert client.get(PAGE).status_code == 404
    assert client_for(buyer).get(PAGE).status_code == 404
    assert client_for(buyer).post(PAGE, form()).status_code == 404


def test_checkout_allows_codes_except_with_the_first_purchase_discount(checkouts, buyer):
    first = checkouts.open("starter")
    params = checkouts.fake.posts("/v1/checkout/sessions")[-1]
    assert first.first_purchase_discount and "discounts" in params
    assert "allow_promotion_codes" not in params
    checkouts.pay(first)

    checkouts.open("starter")
    params = checkouts.fake.posts("/v1/checkout/sessions")[-1]
    assert params["allow_promotion_codes"] == "true" and "discounts" not in params


def test_a_code_redeemed_on_stripes_page_is_recorded_and_counted(checkouts, buyer, staff,
                                                                 staff_client):
    checkouts.pay(checkouts.open("starter"))  # the first-purchase discount, no code
    promotion = make_code(staff)
    other = make_code(staff, code="TENOFF", percent_off=None, amount_off=1000, currency="usd")

    purchase = checkouts.open("professional")
    session = checkouts.fake.complete_session(purchase.stripe_checkout_session_id,
                                              promotion_code=promotion.stripe_promotion_code_id)
    checkouts.deliver("checkout.session.completed", session)
    checkouts.deliver("checkout.session.completed", session)  # redelivered: nothing more
    purchase.refresh_from_db()
    assert purchase.promotion_code == promotion
    assert (purchase.amount_subtotal, purchase.amount_total, purchase.discount_cents) == (
        2000, 1500, 500)
    assert purchase.tokens == 50 and user_balance(buyer) == 10 + 50

    second = checkouts.open("enterprise")
    checkouts.deliver("checkout.session.completed", checkouts.fake.complete_session(
        second.stripe_checkout_session_id, promotion_code=promotion.stripe_promotion_code_id))
    third = checkouts.open("starter")
    checkouts.deliver("checkout.session.completed", checkouts.fake.complete_session(
        third.stripe_checkout_session_id, promotion_code=other.stripe_promotion_code_id))
    checkouts.open("starter")  # opened, never paid: not a redemption

    page = staff_client.get(PAGE)
    codes = {code.code: code for code in page.context["codes"]}
    assert codes["SPRING25"].redemptions == 2 == len(codes["SPRING25"].redeemed_purchases)
    assert {p.pk for p in codes["SPRING25"].redeemed_purchases} == {purchase.pk, second.pk}
    assert codes["SPRING25"].discount_given == 500 + 1500
    assert codes["SPRING25"].charged == 1500 + 4500
    assert codes["TENOFF"].redemptions == 1 and codes["TENOFF"].charged == 0
    assert Purchase.objects.get(pk=third.pk).amount_total == 0
    html = page.content.decode()
    assert html.count("data-redemption>") == 3
    assert_ledger_healthy()


def test_a_code_retired_in_stripes_dashboard_is_retired_here(checkouts, staff):
    promotion = make_code(staff)
    stripe_code = checkouts.fake.objects[promotion.stripe_promotion_code_id]
    stripe_code["active"] = False
    checkouts.deliver("promotion_code.updated", stripe_code)
    promotion.refresh_from_db()
    assert not promotion.active


def test_a_refund_of_a_discounted_purchase_claws_back_by_what_was_charged(checkouts, buyer,
                                                                           staff):
    checkouts.pay(checkouts.open("starter"))
    promotion = make_code(staff)
    purchase = checkouts.open("professional")
    checkouts.deliver("checkout.session.completed", checkouts.fake.complete_session(
        purchase.stripe_checkout_session_id, promotion_code=promotion.stripe_promotion_code_id))
    purchase.refresh_from_db()

    purchase = checkouts.refund(purchase, 750)  # half of the $15.00 charged

    assert purchase.tokens_clawed_back == 25
    assert user_balance(buyer) == 10 + 25
    assert_ledger_healthy()



def test_receipt_and_success_page_name_the_code_and_the_bonus(checkouts, buyer, staff, client):
    checkouts.pay(checkouts.open("starter"))
    promotion = make_code(staff)
    purchase = create_checkout_session(user=buyer, pack=checkouts.catalog["professional"],
                                       base_url="https://myba.example", quantity=3).purchase
    checkouts.deliver("checkout.session.completed", checkouts.fake.complete_session(
        purchase.stripe_checkout_session_id, promotion_code=promotion.stripe_promotion_code_id))
    client.force_login(buyer)

    receipt = client.get(reverse("billing:receipt", args=[purchase.public_id])).content.decode()
    assert "3 × Professional pack — 150 tokens + 15 bonus tokens" in receipt
    assert "Promotion code SPRING25" in receipt and "−$15.00" in receipt
    success = client.get(reverse("billing:success"),
                         {"session_id": purchase.stripe_checkout_session_id}).content.decode()
    assert "150 tokens + 15 bonus tokens added." in success
