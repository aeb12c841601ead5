"""The billing pages in Chromium on a desktop and on a 360 px phone: pricing, the purchase
history (paid, refunded, still open; an abandoned checkout is not listed), receipts, the
success and cancel pages and the local test checkout. Each fits the screen with nothing
hidden behind a sideways scroll and passes axe-core."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from billing.services import create_checkout_session
from tests.helpers import assert_accessible, assert_fits_width, sign_in_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, user) -> None:
    sign_in_in_browser(page, user.email)


def check(page, path: str, heading: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_fits_width(page)
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 360])
def test_billing_pages_fit_the_screen_and_pass_axe(
    make_page, width, buyer, purchase_history, prices, settings
):
    page = make_page(width, axe=True)
    sign_in(page, buyer)

    check(page, reverse("billing:history"), "Billing")
    rows = page.locator("[data-purchases] tbody tr")
    expect(rows).to_have_count(4)  # the abandoned checkout charged nothing: not listed
    expected = {
        "paid": ["$5.00", "Paid"],
        "partly_refunded": ["$16.00", "Partially refunded", "$8.00 refunded"],
        "refunded": ["$60.00", "Refunded", "$60.00 refunded"],
        "open": ["$20.00", "Awaiting payment"],
    }
    for name, texts in expected.items():
        row = page.locator(f'[data-purchase="{purchase_history[name].public_id}"]')
        for text in texts:
            expect(row).to_contain_text(text)
        # Every column is on screen, the status and receipt included.
        for cell in row.locator("td").all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, cell.inner_text())
    expect(page.locator(f'[data-purchase="{purchase_history["abandoned"].public_id}"]')) \
        .to_have_count(0)

    for name in ("paid", "partly_refunded"):
        check(page, reverse("billing:receipt", args=[purchase_history[name].public_id]),
              "Receipt")
    expect(page.get_by_text(purchase_history["partly_refunded"].stripe_payment_intent_id)) \
        .to_be_visible()
    paid_session = purchase_history["paid"].stripe_checkout_session_id
    check(page, f"{reverse('billing:success')}?session_id={paid_session}", "Thank you")
    expect(page.get_by_text("10 tokens added.")).to_be_visible()
    check(page, reverse("billing:cancel"), "Checkout canceled")
    check(page, reverse("billing:pricing"), "Buy tokens")

    # Development without Stripe keys: the local test checkout stands in for Stripe's page.
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = True, ""
    test_checkout = create_checkout_session(
        user=buyer, pack=purchase_history["paid"].pack, base_url=""
    ).purchase
    check(page, reverse("billing:test_checkout", args=[test_checkout.public_id]),
          "Pay for Starter")
    check(page, reverse("billing:pricing"), "Buy tokens")
    expect(page.get_by_text("TEST MODE").first).to_be_visible()
