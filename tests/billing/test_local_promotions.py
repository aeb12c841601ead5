"""`make run` (DEBUG, no Stripe keys): the local test checkout takes a quantity, charges sale
prices, grants the bonus, and checks promotion codes against our rows the way Stripe would
(active, not expired, under the cap, first-time rule)."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import get_or_open_user_account
from billing.models import PackSale, PromotionCode, Purchase, TokenPack
from billing.services import complete_local_checkout, create_promotion_code
from tests.builders import make_verified_user
from tests.helpers import assert_ledger_healthy, user_balance
from tokens.services import grant_tokens


@pytest.fixture
def local(settings, packs):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    return packs


def make_code(code="LOCAL20", **fields) -> PromotionCode:
    return create_promotion_code(actor=None, request_key=uuid.uuid4(),
                                 **{"code": code, "percent_off": 20, **fields})


def bought_before(user, packs):
    """`user` has completed a purchase (so the first-purchase discount is spent)."""
    purchase = Purchase.objects.create(
        user=user, token_account=user.token_account, pack=packs["starter"], tokens=10,
        amount_subtotal=500, amount_total=500, currency="usd", test_mode=True,
        stripe_checkout_session_id=f"cs_test_local_{uuid.uuid4().hex}")
    complete_local_checkout(purchase=purchase)


def customer():
    user = make_verified_user()
    get_or_open_user_account(user=user)
    user.refresh_from_db()
    return user


def start(client, slug="professional", quantity=1) -> tuple[Purchase, str]:
    client.post(reverse("billing:checkout", args=[slug]), {"quantity": quantity})
    purchase = Purchase.objects.filter(status=Purchase.Status.OPEN).latest("created_at")
    return purchase, reverse("billing:test_checkout", args=[purchase.public_id])


def apply(client, url, code):
    return client.post(url, {"code": code, "apply_code": "1"})


@pytest.fixture
def shopper(local, client):
    """A customer who has bought before (no first-purchase discount), signed in."""
    user = customer()
    client.force_login(user)
    bought_before(user, local)
    return user


def test_a_valid_code_is_applied_and_recorded(client, shopper):
    promotion = make_code()
    assert promotion.test_mode and not promotion.stripe_promotion_code_id
    purchase, url = start(client)

    assert apply(client, url, "local20").status_code == 302
    page = client.get(url).content.decode()
    assert "LOCAL20: 20% off" in page and "$16.00" in page
    client.post(url)

    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.PAID
    assert (purchase.promotion_code, purchase.amount_total) == (promotion, 1600)
    assert user_balance(shopper) == 10 + 50
    assert_ledger_healthy()


@pytest.mark.parametrize("fields, message", [
    ({"expires_at": timezone.now() + timedelta(seconds=1)}, "That code has expired."),
    ({"max_redemptions": 1}, "That code has been used the maximum number of times."),
    ({"first_time_only": True}, "That code is only for a first purchase."),
    ({"amount_off": 500, "percent_off": None, "currency": "eur"},
     "That code is not valid in this currency."),
])
def test_a_code_that_cannot_be_redeemed_is_refused(client, shopper, fields, message):
    promotion = make_code(**fields)
    if promotion.max_redemptions:  # someone else used it up
        other = customer()
        Purchase.objects.create(
            user=other, token_account=other.token_account,
            pack=TokenPack.objects.get(slug="starter"), tokens=10, amount_subtotal=500,
            amount_total=400, currency="usd", promotion_code=promotion, test_mode=True,
            status=Purchase.Status.PAID, lot_entry=grant_tokens(
                account=other.token_account, amount=10, kind="purchase", source="paid",
                idempotency_key=f"test:{uuid.uuid4()}"))
    if promotion.expires_at:
        PromotionCode.objects.filter(pk=promotion.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
    purchase, url = start(client)

    response = apply(client, url, "LOCAL20")

    assert response.status_code == 400
    assert message in response.content.decode()
    purchase.refresh_from_db()
    assert (purchase.promotion_code, purchase.amount_total) == (None, 2000)


def test_unknown_and_retired_codes_are_refused(client, shopper):
    promotion = make_code()
    PromotionCode.objects.filter(pk=promotion.pk).update(active=False)
    purchase, url = start(client)
    for code in ("LOCAL20", "NOPE", "x" * 60):
        response = apply(client, url, code)
        assert response.status_code == 400
        assert "That code is not valid." in response.content.decode()
    purchase.refresh_from_db()
    assert purchase.promotion_code is None


def test_a_code_expiring_before_payment_is_removed_and_payment_refused(client, shopper):
    promotion = make_code()
    purchase, url = start(client)
    apply(client, url, "LOCAL20")
    PromotionCode.objects.filter(pk=promotion.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(url, follow=True)

    assert "That code has expired. It was removed" in response.content.decode()
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.OPEN
    assert (purchase.promotion_code, purchase.amount_total) == (None, 2000)


def test_codes_are_not_combined_with_the_first_purchase_discount(local, client, buyer):
    make_code()
    client.force_login(buyer)
    purchase, url = start(client)
    assert purchase.first_purchase_discount
    response = apply(client, url, "LOCAL20")
    assert response.status_code == 400
    assert "cannot be combined" in response.content.decode()


def test_local_checkout_with_quantity_sale_and_bonus(client, shopper, local):
    now = timezone.now()
    PackSale.objects.create(pack=local["professional"], sale_price_cents=1500, bonus_tokens=2,
                            starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    make_code()
    purchase, url = start(client, quantity=4)
    apply(client, url, "LOCAL20")
    page = client.get(url).content.decode()
    assert "4 × Professional: 200 tokens + <span data-bonus>28 bonus tokens</span>" in page

    client.post(url)

    purchase.refresh_from_db()
    # 4 x $15.00 sale price = $60.00; 20% off = $48.00. Bonus: 4 x 2 + 10% of 200.
    assert (purchase.amount_subtotal, purchase.amount_total) == (6000, 4800)
    assert (purchase.tokens, purchase.bonus_tokens) == (200, 28)
    assert purchase.bonus_entry.amount == 28
    assert user_balance(shopper) == 10 + 228
    assert_ledger_healthy()
