"""A staff member signs in with a TOTP code, opens the overview, finds a customer, adjusts
their tokens and sees the entry in the customer's ledger."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.builders import make_staff
from tests.factories import UserFactory
from tests.helpers import sign_in_with_totp_in_browser


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_staff_signs_in_with_totp_and_adjusts_a_customers_tokens(page):
    staff = make_staff(mfa=False, email="ops@example.com")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)  # enrolled as the authenticator app does it
    UserFactory(email="customer@example.com")

    sign_in_with_totp_in_browser(page, staff, secret)

    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    expect(page.locator("#computed-at")).to_contain_text("Figures as of")
    page.get_by_role("button", name="Refresh now").click()
    expect(page).to_have_url(re.compile(r"/dashboard/\?range=30$"))
    expect(page.get_by_role("button", name="Refresh now")).to_be_enabled()

    page.get_by_role("link", name="Users").click()
    page.get_by_label("Email contains").fill("customer@")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="customer@example.com").click()

    adjust = page.get_by_role("region", name="Adjust tokens")
    adjust.get_by_role("spinbutton", name="Tokens").fill("12")
    adjust.get_by_label("Reason").fill("Refund for a failed export")
    adjust.get_by_role("button", name="Adjust").click()
    expect(page.locator("body")).to_contain_text("Adjusted +12 tokens; balance is now 12.")
    ledger = page.locator("#ledger")
    expect(ledger).to_contain_text("Refund for a failed export")
    expect(ledger).to_contain_text("+12")
    expect(ledger).to_contain_text(staff.email)
