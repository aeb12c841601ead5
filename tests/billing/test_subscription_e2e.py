"""A plan in Chromium, in test mode (DEBUG on, no Stripe keys): subscribe, see the allowance,
renew, cancel — and the pages fit a phone and pass axe-core, light and dark."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import assert_ledger_healthy, check_page, sign_up_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def test_mode(settings, plans, tasks_inline):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_LIVE_SECRET_KEY = ""


def test_subscribe_renew_and_cancel_in_test_mode(page, live_server, packs, test_mode):
    page.goto("/accounts/signup/")
    sign_up_in_browser(page, "subscriber@example.com")
    page.goto("/pricing/")
    before = int(page.locator("[data-billing-balance]").inner_text())
    basic = page.locator("[data-plan=basic-monthly]")
    expect(page.locator("[data-plan=basic-yearly] [data-save]")).to_have_text("Save 16%")
    basic.get_by_role("button", name="Start 7-day trial").click()

    page.wait_for_url(re.compile(r"/billing/test-subscribe/"))
    page.get_by_role("button", name="Start trial (test)").click()
    page.wait_for_url(re.compile(r"/billing/subscribed/"))
    expect(page.locator("[data-plan-started]")).to_contain_text("Basic plan trial has started")
    expect(page.locator("#balance-badge [data-balance]")).to_have_attribute(
        "data-balance", str(before + 10))

    page.goto("/billing/")
    expect(page.locator("[data-allowance]")).to_contain_text("10 of 10 tokens left")
    page.get_by_role("button", name="Next period").click()
    expect(page.locator("[data-allowance]")).to_contain_text("50 of 50 tokens left")
    expect(page.locator("[data-plan-invoices] tbody tr")).to_have_count(2)

    page.get_by_text("Cancel plan").click()
    page.get_by_label("Why are you leaving?").fill("Just testing")
    page.get_by_role("button", name="Cancel at period end").click()
    expect(page.locator(".toast-success")).to_contain_text("Its tokens stay until then")
    expect(page.get_by_role("button", name="Resume plan")).to_be_visible()
    assert_ledger_healthy()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_plan_pages_fit_and_are_accessible(make_page, live_server, packs, test_mode, width,
                                           dark):
    page = make_page(width, axe=True, dark=dark)
    page.goto("/accounts/signup/")
    sign_up_in_browser(page, f"plans-{width}-{int(dark)}@example.com")
    page.goto("/pricing/")
    page.locator("[data-plan=pro-monthly]").get_by_role("button").click()
    page.get_by_role("button", name=re.compile(r"\(test\)")).click()
    page.wait_for_url(re.compile(r"/billing/subscribed/"))
    page.goto("/pricing/")
    check_page(page, f"plans-pricing-{width}-{'dark' if dark else 'light'}")
    page.goto("/billing/")
    page.get_by_role("button", name="Next period").click()
    page.get_by_role("button", name="Fail the renewal").click()
    expect(page.locator("[data-billing-alert]")).to_be_visible()
    check_page(page, f"plans-billing-{width}-{'dark' if dark else 'light'}")
