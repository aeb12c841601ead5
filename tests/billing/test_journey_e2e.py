"""Buying tokens in Chromium, in test mode (DEBUG on, no Stripe keys): the local test
checkout completes through the same fulfilment as a Stripe webhook."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import assert_ledger_healthy, sign_up_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def test_mode(settings):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_LIVE_SECRET_KEY = ""


def test_buy_professional_in_test_mode(page, live_server, packs, test_mode):
    page.goto("/accounts/signup/")
    sign_up_in_browser(page, "buyer@example.com")

    page.goto("/pricing/")
    assert page.get_by_text("TEST MODE").first.is_visible()
    assert page.get_by_text("20% off your first purchase").is_visible()
    before = int(page.locator("[data-billing-balance]").inner_text())

    page.locator("[data-pack=professional]").get_by_role("button", name="Buy Professional").click()
    page.wait_for_url(re.compile(r"/billing/test-checkout/"))
    assert page.locator("#card-number").input_value() == "4242 4242 4242 4242"
    assert page.get_by_text("nothing is charged").first.is_visible()
    page.get_by_role("button", name=re.compile(r"Pay \$16\.00")).click()

    page.wait_for_url(re.compile(r"/billing/success/"))
    credited = page.locator("[data-credited]")
    credited.wait_for()
    assert "50 tokens added" in credited.inner_text()
    assert int(page.locator("[data-billing-balance]").first.inner_text()) == before + 50
    # The header badge refreshed on the `tokens-changed` event, without a reload.
    expect(page.locator("#balance-badge [data-balance]")).to_have_attribute(
        "data-balance", str(before + 50)
    )

    page.goto("/billing/")
    row = page.locator("[data-purchases] tbody tr").first
    assert "Professional" in row.inner_text()
    assert "$16.00" in row.inner_text()
    assert "Paid" in row.inner_text()
    row.get_by_role("link", name="Receipt").click()
    expect(page.get_by_role("heading", name="Receipt")).to_be_visible()
    assert_ledger_healthy()
