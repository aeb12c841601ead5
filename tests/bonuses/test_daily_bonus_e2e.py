"""The daily bonus in Chromium: claimed from the generator with htmx, the header's balance
follows without a reload, and the page fits a phone and passes axe-core, light and dark."""

import pytest
from playwright.sync_api import expect

from tests.helpers import check_page, sign_up_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)], ids=["1280", "360-dark"])
def test_claim_the_bonus_from_the_generator(make_page, live_server, prices, width, dark):
    page = make_page(width, axe=True, dark=dark)
    page.goto("/accounts/signup/")
    sign_up_in_browser(page, f"daily-{width}@example.com")
    page.goto("/tickets/new/")
    balance = page.locator("#balance-badge [data-balance]")
    before = int(balance.get_attribute("data-balance"))
    card = page.locator("[data-daily-bonus]")
    check_page(page, f"bonus-generator-{width}")
    card.get_by_role("button", name="Claim 2 tokens").click()
    expect(card.locator("[data-bonus-note]")).to_have_text("+2 tokens. Day 1 in a row!")
    expect(balance).to_have_attribute("data-balance", str(before + 2))
    expect(card.locator("[data-streak]")).to_have_text("1 day in a row")

    page.goto("/bonus/")
    expect(page.locator("[data-bonus-claimed]")).to_contain_text("The next bonus opens at")
    check_page(page, f"bonus-page-{width}")
