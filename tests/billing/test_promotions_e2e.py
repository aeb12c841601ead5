"""The pricing page with a flash sale and the quantity selector, and the staff Promotions page,
in Chromium at 1280 and 360 px, light and dark: each fits the screen and passes axe-core.
With MYBA_SHOTS_DIR set, full-page screenshots are saved there to look at."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import get_or_open_user_account
from billing.models import PackSale
from billing.services import (
    apply_local_promotion_code,
    complete_local_checkout,
    create_checkout_session,
    create_promotion_code,
)
from tests.builders import make_staff, make_verified_user
from tests.helpers import check_page, sign_in_browser_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def paid_locally(user, pack, *, quantity=1, code=""):
    purchase = create_checkout_session(user=user, pack=pack, base_url="",
                                       quantity=quantity).purchase
    if code:
        purchase = apply_local_promotion_code(purchase=purchase, code=code, now=timezone.now())
    return complete_local_checkout(purchase=purchase)


@pytest.fixture
def shop(settings, packs, prices):
    """`make run`'s shop: a Spring sale on Professional, two codes, one redeemed twice."""
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = True, ""
    now = timezone.now()
    sale = PackSale.objects.create(
        pack=packs["professional"], name="Spring sale", sale_price_cents=1500, bonus_tokens=5,
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=30))
    staff = make_staff(email="ops@example.com")
    create_promotion_code(actor=staff, request_key=uuid.uuid4(), code="SPRING25",
                          percent_off=25, max_redemptions=100)
    create_promotion_code(actor=staff, request_key=uuid.uuid4(), code="WELCOME5",
                          amount_off=500, currency="usd", first_time_only=True,
                          expires_at=now + timedelta(days=30))
    for email in ("ana@example.com", "bo@example.com"):
        customer = make_verified_user(email=email)
        get_or_open_user_account(user=customer)
        customer.refresh_from_db()
        paid_locally(customer, packs["starter"])  # the first-purchase discount
        paid_locally(customer, packs["professional"], quantity=2, code="spring25")
    return {"sale": sale, "staff": staff, "buyer": make_verified_user(email="new@example.com")}


@pytest.mark.parametrize("width, dark", [(1280, False), (1280, True), (360, False), (360, True)])
def test_pricing_and_promotions_pages(make_page, live_server, shop, width, dark):
    mode = "dark" if dark else "light"
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, shop["buyer"])
    page.goto("/pricing/")

    card = page.locator('[data-pack="professional"]')
    expect(card.locator("[data-sale]")).to_contain_text("Spring sale")
    expect(card.locator("[data-sale] time")).to_have_attribute(
        "datetime", shop["sale"].ends_at.isoformat())
    expect(card.locator("[data-price]")).to_contain_text("$12.00")  # sale, first purchase
    expect(card.locator("[data-regular-price]")).to_have_text("$20.00")
    expect(card.locator("[data-bonus]")).to_have_text("+5 bonus")
    quantity = card.get_by_label("Quantity")
    expect(quantity.locator("option")).to_have_count(10)
    expect(page.locator('[data-pack="enterprise"] [data-bonus]')).to_have_text("+20 bonus")
    check_page(page, f"pricing-{width}-{mode}")

    if width == 1280 and not dark:  # the quantity reaches the checkout
        quantity.select_option("3")
        card.get_by_role("button", name="Buy Professional").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pay for Professional")
        expect(page.get_by_text("3 × Professional: 150 tokens")).to_be_visible()
        # 3 x $15.00 = $45.00 is under the bulk bonus's $50: the sale's 3 x 5 bonus alone.
        expect(page.locator("[data-bonus]")).to_have_text("15 bonus tokens")

    staff_page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(staff_page, live_server, shop["staff"])
    staff_page.goto("/dashboard/promotions/")
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Promotions")
    row = staff_page.locator('[data-code="SPRING25"]')
    expect(row.locator("[data-redemption-count]")).to_have_text("2")
    row.locator("summary").click()
    expect(row.locator("[data-redemption]")).to_have_count(2)
    expect(staff_page.locator('[data-code="WELCOME5"] [data-redemption-count]')).to_have_text(
        "0")
    check_page(staff_page, f"promotions-{width}-{mode}")
