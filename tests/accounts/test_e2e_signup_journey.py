"""A visitor sees free tokens, signs up, verifies the email and lands with 9 tokens."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.accounts.utils import PASSWORD, confirmation_path


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_visitor_signs_up_verifies_and_sees_nine_tokens(page):
    page.goto("/")
    badge = page.locator("#balance-badge")
    expect(badge).to_contain_text("3 free tokens")

    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()
    page.get_by_label("Email").fill("journey@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    assert [m.to for m in mail.outbox] == [["journey@example.com"]]
    page.goto(confirmation_path())
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator("#toasts")).to_contain_text(
        "Welcome! 6 tokens added, plus 3 carried over from your free trial."
    )
    expect(badge).to_contain_text("9 tokens")
    expect(page.locator(".nav-account")).to_contain_text("journey@example.com")
