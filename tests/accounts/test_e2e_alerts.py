"""Alerts, email settings, sign-in history and automatic top-up in Chromium (issue 14): the
low-balance banner after a crossing and its dismissal, the email switches and the sign-in
history on the settings page, and turning automatic top-up on with the local test card — at
1280 px in light mode and 360 px in dark mode, each page passing axe-core and fitting."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import EmailOptOut, SignInRecord
from accounts.notifications.services import unsubscribe_token
from accounts.services import get_or_open_user_account
from billing.models import AutoTopUp
from tests.builders import make_verified_user, new_key
from tests.helpers import check_page, sign_in_in_browser
from tokens.services import grant_tokens, spend_tokens

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_alerts_emails_sign_ins_and_auto_top_up(make_page, live_server, settings, offline,
                                                packs, tasks_inline, width, dark):
    settings.DEBUG = True  # the local test checkout (no Stripe keys): a test card
    user = make_verified_user(email=f"alerts-{width}@example.com")
    account = get_or_open_user_account(user=user)
    grant_tokens(account=account, amount=4, kind="welcome", idempotency_key=new_key("w"))
    spend_tokens(account=account, amount=2, idempotency_key=new_key("s"),
                 feature_key="ticket.standard")
    page = make_page(width, axe=True, dark=dark)
    sign_in_in_browser(page, user.email)
    shot = f"alerts-{width}{'-dark' if dark else ''}"

    page.goto("/tickets/new/")
    banner = page.locator('[data-alert-banner="low_balance"]')
    expect(banner).to_contain_text("You have 2 tokens left, fewer than your alert level of 3.")
    check_page(page, f"{shot}-banner")
    banner.get_by_role("button", name="Dismiss this alert").click()
    expect(banner).to_have_count(0)

    page.goto("/account/settings/")
    expect(page.locator("[data-sign-ins] tbody tr")).to_have_count(1)
    page.get_by_label("Low balance").uncheck()
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Your email preferences are saved.")).to_be_visible()
    assert list(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True)) == [
        "low_balance"]
    assert SignInRecord.objects.filter(user=user).count() == 1
    check_page(page, f"{shot}-settings")

    page.goto("/billing/")
    section = page.locator("[data-auto-top-up]")
    expect(section).to_contain_text("No card saved yet.")
    page.get_by_role("button", name="Save a card (test)").click()
    expect(page.locator("[data-saved-card]")).to_contain_text("Test card (nothing is charged)")
    page.get_by_label("Pack to buy").select_option(label="Starter (10 tokens)")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Automatic top-up is on")).to_be_visible()
    expect(page.locator('[data-auto-top-up="on"]')).to_be_visible()
    assert AutoTopUp.objects.get(user=user).enabled
    check_page(page, f"{shot}-billing")

    # The link in an email, opened signed out: it asks, the button turns the kind off.
    page.context.clear_cookies()
    page.goto(reverse("accounts:unsubscribe", args=[unsubscribe_token(user, "expiry")]))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Turn off “Tokens about to expire” emails?")
    check_page(page, f"{shot}-unsubscribe")
    page.get_by_role("button", name="Turn them off").click()
    expect(page.get_by_text("You will no longer get")).to_be_visible()
    assert EmailOptOut.objects.filter(user=user, kind="expiry").exists()
