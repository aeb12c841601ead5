"""A referral in Chromium: the referrer copies their link in one browser, a newcomer signs up
through it in another and qualifies by writing a ticket; both see their rewards. At 1280 px
light and 360 px dark, each page fitting the screen and passing axe-core."""

import pytest
from playwright.sync_api import expect

from tests.helpers import check_page, generate_in_browser, sign_up_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)], ids=["1280", "360-dark"])
def test_share_sign_up_qualify_and_both_are_rewarded(make_page, live_server, offline,
                                                     tasks_inline, settings, width, dark):
    settings.REFERRAL_QUALIFY_TICKETS = 1
    # Both browsers run on this machine: one network, which would hold the referral.
    settings.REFERRAL_SAME_NETWORK_HOURS = 0
    referrer = make_page(width, axe=True, dark=dark)
    referrer.goto("/accounts/signup/")
    sign_up_in_browser(referrer, f"ann-{width}@referrer.example")
    referrer.goto("/referrals/")
    expect(referrer.get_by_text("Nobody has joined through your link yet.")).to_be_visible()
    check_page(referrer, f"referrals-empty-{width}")
    link = referrer.locator("[data-referral-link]").input_value()
    assert "/r/" in link

    newcomer = make_page(width, axe=True, dark=dark)
    newcomer.goto("/r/" + link.split("/r/", 1)[1])  # the site URL is the configured one
    expect(newcomer).to_have_url(f"{live_server.url}/accounts/signup/")
    sign_up_in_browser(newcomer, f"bob-{width}@newco.example")
    balance = newcomer.locator("#balance-badge [data-balance]")
    # Sign-up bonus, the free tokens the browser had as a visitor, and the referral bonus.
    expect(balance).to_have_attribute("data-balance", str(6 + 3 + 5))
    newcomer.goto("/tickets/new/")
    generate_in_browser(newcomer, "Customers need to download invoices as PDF so that their "
                                  "accountant can file them.")

    referrer.goto("/referrals/")
    row = referrer.locator("[data-referral]")
    expect(row).to_have_attribute("data-referral", "rewarded")
    expect(referrer.locator("[data-earned]")).to_have_text("10 tokens earned")
    check_page(referrer, f"referrals-rewarded-{width}")
