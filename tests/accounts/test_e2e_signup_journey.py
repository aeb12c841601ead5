"""A visitor sees free tokens, signs up, verifies the email and lands with 9 tokens."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.helpers import sign_up_in_browser


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_visitor_signs_up_verifies_and_sees_nine_tokens(page):
    page.goto("/")
    badge = page.locator("#balance-badge")
    expect(badge).to_contain_text("3 free tokens")

    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", name="Sign up", exact=True)).to_be_visible()
    sign_up_in_browser(page, "journey@example.com")

    assert [m.to for m in mail.outbox] == [["journey@example.com"]]
    expect(page.locator("#toasts")).to_contain_text(
        "Welcome! 6 tokens added, plus 3 carried over from your free trial."
    )
    expect(badge).to_contain_text("9 tokens")
