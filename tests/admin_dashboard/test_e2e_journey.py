"""A staff member signs in with a TOTP code, opens the overview, finds a customer, adjusts
their tokens and sees the entry in the customer's ledger."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import cache
from playwright.sync_api import expect

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_staff_signs_in_with_totp_and_adjusts_a_customers_tokens(page):
    cache.clear()
    staff = UserFactory(email="ops@example.com", is_staff=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    UserFactory(email="customer@example.com")

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.locator("input[name=code]").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.locator(".nav-account")).to_contain_text(staff.email)

    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Staff dashboard")).to_be_visible()
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
