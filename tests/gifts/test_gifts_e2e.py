"""Sending a gift in Chromium: the form, the confirmation and the history, fitting a phone and
passing axe-core, light and dark."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import get_or_open_user_account
from tests.builders import make_verified_user, new_key
from tests.helpers import check_page, sign_up_in_browser
from tokens.services import grant_tokens

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)], ids=["1280", "360-dark"])
def test_send_a_gift(make_page, live_server, prices, width, dark):
    page = make_page(width, axe=True, dark=dark)
    email = f"giver-{width}@example.com"
    page.goto("/accounts/signup/")
    sign_up_in_browser(page, email)
    User.objects.filter(email=email).update(date_joined=timezone.now() - timedelta(days=3))
    grant_tokens(account=get_or_open_user_account(user=User.objects.get(email=email)),
                 amount=10, kind="purchase", source="paid", idempotency_key=new_key("e2e"))
    make_verified_user(email=f"pal-{width}@example.com")

    page.goto("/gifts/")
    expect(page.get_by_text("You have not sent a gift yet.")).to_be_visible()
    check_page(page, f"gifts-empty-{width}")
    page.get_by_label("Their email address").fill(f"pal-{width}@example.com")
    page.get_by_label("How many tokens").fill("4")
    page.get_by_label("Message (optional)").fill("For the retro")
    page.get_by_role("button", name="Send gift").click()
    expect(page.locator(".toast-success")).to_contain_text(
        f"4 tokens delivered to pal-{width}@example.com")
    expect(page.locator("[data-gifts-sent] tbody tr")).to_have_count(1)

    page.get_by_label("How many tokens").fill("500")
    page.get_by_label("Their email address").fill("someone@example.com")
    page.get_by_role("button", name="Send gift").click()
    expect(page.locator(".field-error")).to_contain_text("Send 1 to 100 tokens.")
    check_page(page, f"gifts-sent-{width}")
