"""A visitor tries MyBA in Chromium: three free tickets, the sign-up invitation, the library."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import generate_in_browser as generate
from tests.helpers import sign_up_in_browser

DESCRIPTIONS = [
    "Customers need to download invoices as PDF so that their accountant can file them.",
    "When I click Save on the profile page nothing happens; it should save my new address.",
    "Support agents need to search conversations by customer email to answer faster.",
]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_visitor_generates_until_empty_then_signs_up_and_keeps_the_tickets(
    page, celery_worker, offline
):
    page.goto("/tickets/new/")
    badge = page.locator("#balance-badge")
    expect(badge).to_contain_text("3 free tokens")
    counter = page.locator("#description-counter")
    page.get_by_label("What needs doing?").fill("Too short")
    expect(counter).to_contain_text("9 / 4,000")

    generate(page, DESCRIPTIONS[0])
    expect(page.locator("[data-offline-badge]")).to_be_visible()
    expect(badge).to_contain_text("2 free tokens")

    page.get_by_role("link", name="Generate another").click()
    generate(page, DESCRIPTIONS[1])
    expect(badge).to_contain_text("1 free token")

    page.get_by_role("link", name="Generate another").click()
    generate(page, DESCRIPTIONS[2], confirm=True)
    expect(badge).to_contain_text("0")

    page.get_by_role("link", name="Generate another").click()
    # No Generate button that cannot work: the sign-up invitation takes its place.
    expect(page.locator("[data-generate-button]")).to_have_count(0)
    invite = page.locator("[data-signup-invite]")
    expect(invite).to_be_visible()
    expect(page.locator("[data-top-up]")).to_contain_text("Sign up free to get 6 tokens")

    invite.click()
    sign_up_in_browser(page, "tickets-journey@example.com")
    expect(badge).to_contain_text("6 tokens")

    page.goto("/tickets/")
    rows = page.locator("[data-ticket-row]")
    expect(rows).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("Tickets made in this browser")
    page.get_by_role("link", name=re.compile("Download invoices as PDF")).click()
    expect(page.locator("[data-ticket-card]")).to_be_visible()
    expect(page.get_by_role("button", name="Copy as Markdown")).to_be_visible()
