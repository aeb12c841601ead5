"""The account pages as people see them, on a desktop and on a 360 px phone: every page fits
the screen and passes axe-core; the settings tabs are all in view; deleting asks for the
password first; the address of a deleted account signs up again."""

import pytest
from django.core import mail
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import get_or_open_user_account
from tests.builders import make_verified_user
from tests.factories import PASSWORD
from tests.helpers import assert_accessible, assert_fits_width, sign_in, sign_up_in_browser
from tokens.services import grant_tokens

ENTRANCE_PAGES = [
    ("/accounts/login/", "Sign in"),
    ("/accounts/signup/", "Sign up"),
    ("/accounts/password/reset/", "Reset your password"),
    ("/accounts/inactive/", "This account has been deactivated"),
]
SETTINGS_PAGES = [
    ("/account/settings/", "Account settings", "Overview"),
    ("/accounts/email/", "Email addresses", "Email"),
    ("/accounts/3rdparty/", "Account connections", "Connected accounts"),
    ("/accounts/password/change/", "Change password", "Password"),
    ("/accounts/2fa/", "Two-factor authentication", "Two-factor"),
    ("/accounts/2fa/totp/activate/", "Activate authenticator app", "Two-factor"),
    ("/accounts/sessions/", "Sessions", "Sessions"),
]


TABS_ALL_IN_VIEW = """nav => nav.scrollWidth <= nav.clientWidth && [...nav.querySelectorAll("a")]
    .every(a => { const box = a.getBoundingClientRect();
                  return box.left >= 0 && box.right <= window.innerWidth; })"""


def looks_right(page) -> None:
    assert_fits_width(page)
    assert_accessible(page)


def sign_in_in_browser(page, email) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".nav-account")).to_contain_text(email)


def confirm_password(page) -> None:
    expect(page.get_by_role("heading", name="Confirm access", exact=True)).to_be_visible()
    looks_right(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm", exact=True).click()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_account_pages_fit_and_pass_axe(make_page, width):
    page = make_page(width, axe=True)
    for path, heading in ENTRANCE_PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        looks_right(page)

    user = make_verified_user(email=f"settings{width}@example.com")
    sign_in(Client(HTTP_USER_AGENT="Firefox/128.0 (Windows NT 10.0)"), user.email)
    sign_in_in_browser(page, user.email)
    for path, heading, tab in SETTINGS_PAGES:
        page.goto(path)
        if page.url.endswith(f"/accounts/reauthenticate/?next={path.replace('/', '%2F')}"):
            confirm_password(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        # Every settings tab is on screen, the current one included: none is cut off or
        # hidden to the side of a scrolling strip.
        nav = page.get_by_role("navigation", name="Account settings")
        assert nav.evaluate(TABS_ALL_IN_VIEW), f"{path}: a settings tab is off-screen"
        expect(nav.locator("[aria-current=page]")).to_have_text(tab)
        looks_right(page)

    # The other session has its own button, and the page-wide one says what it ends.
    expect(page.get_by_role("button", name="Sign out of Firefox on Windows")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out of the other session")).to_be_visible()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_deleting_asks_for_the_password_first_and_frees_the_address(make_page, width):
    user = make_verified_user(email=f"leaver{width}@example.com")
    grant_tokens(account=get_or_open_user_account(user=user), amount=9, kind="welcome",
                 idempotency_key=f"user:{user.pk}:welcome")
    page = make_page(width, axe=True)
    sign_in_in_browser(page, user.email)

    page.goto("/account/settings/")
    page.get_by_role("link", name="Delete my account").click()
    confirm_password(page)  # before the form, not after it was filled in
    expect(page.get_by_role("heading", name="This cannot be undone")).to_be_visible()
    expect(page.get_by_text("forfeits your remaining 9 tokens")).to_be_visible()
    looks_right(page)
    page.get_by_label("Type your email address to confirm").fill(user.email)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#toasts")).to_contain_text("Your account has been deleted")
    assert not User.objects.filter(email=user.email).exists()

    page.goto("/accounts/signup/")
    sign_up_in_browser(page, user.email)
    confirmation = mail.outbox[-1]
    assert confirmation.subject == "[MyBA] Please confirm your email address"
    assert "Hello from MyBA!" in confirmation.body
    assert "example.com!" not in confirmation.body  # allauth's unset site said so
    expect(page.locator("#toasts")).to_contain_text(
        "Welcome back! This email address had its welcome tokens on an earlier account"
    )
    # What this browser's free trial had, and no second welcome bonus.
    expect(page.locator("#balance-badge")).to_contain_text("3 tokens")
