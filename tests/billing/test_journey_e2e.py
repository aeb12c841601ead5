"""Buying tokens in Chromium, in test mode (DEBUG on, no Stripe keys): the local test
checkout completes through the same fulfilment as a Stripe webhook."""

import re
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def test_mode(settings):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_LIVE_SECRET_KEY = ""


def sign_up(page, email):
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    if page.locator("input[name=password]").count():  # not signed in by the confirmation
        page.goto("/accounts/login/")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state("networkidle")


def test_buy_professional_in_test_mode(page, live_server, packs, test_mode):
    # A fresh address each run: allauth rate-limits confirmation mails per address in Redis.
    sign_up(page, f"buyer-{uuid.uuid4().hex[:12]}@example.com")

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
    assert page.get_by_role("heading", name="Receipt").is_visible()
    call_command("ledger_audit")
