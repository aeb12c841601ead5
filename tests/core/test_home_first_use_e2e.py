"""First use in Chromium, on a desktop and a 360 px phone: what a visitor is told at every
balance (home, the empty generator, the confirm and not-enough steps, no tokens, a network
out of free tries), the verify-email page after signing up, and the welcome after it. Every
page fits the screen and passes axe-core."""

import re

import pytest
from playwright.sync_api import expect

from accounts.selectors import visitor_cookie_name
from tests.builders import make_visitor, set_price, signed_visitor_cookie
from tests.factories import PASSWORD
from tests.helpers import assert_accessible, assert_fits_width, sign_up_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 360]


def looks_right(page):
    # htmx fades swapped content in: axe measures contrast once the fades have finished.
    page.evaluate("""() => Promise.all(document.getAnimations()
        .filter(animation => animation instanceof CSSTransition)
        .map(animation => animation.finished))""")
    assert_fits_width(page)
    assert_accessible(page)


def browse_as(page, live_server, visitor):
    """This browser is `visitor` from now on (its signed cookie, as our middleware sets it)."""
    page.context.clear_cookies()
    page.context.add_cookies([{
        "name": visitor_cookie_name(),
        "value": signed_visitor_cookie(visitor.public_id),
        "url": live_server.url,
    }])


@pytest.mark.parametrize("width", WIDTHS)
def test_a_visitor_is_told_the_truth_at_every_balance(
    make_page, live_server, prices, settings, width
):
    settings.OPENROUTER_API_KEY = "test-key"  # Advanced is offered; nothing is generated here
    page = make_page(width, axe=True)
    badge = page.locator("#balance-badge")
    nudge = badge.locator(".balance-nudge")

    page.goto("/")
    expect(badge).to_contain_text("3 free tokens")
    expect(nudge).to_have_count(0)
    expect(page.get_by_role("heading", name="Reset a forgotten password by email")).to_be_visible()
    looks_right(page)

    page.goto("/tickets/new/")
    expect(page.locator("[data-examples]")).to_be_visible()
    expect(page.locator("[data-generate-button]")).to_be_enabled()
    looks_right(page)

    # One free token left: the header invites to sign up, the last token is asked about.
    browse_as(page, live_server, make_visitor(ip="127.0.0.1", spend=2))
    page.goto("/tickets/new/")
    expect(badge).to_contain_text("1 free token")
    expect(nudge).to_have_text("Sign up for 6 free tokens")
    expect(nudge).to_be_visible()
    page.get_by_role("button", name="Story example:").click()
    page.locator("[data-generate-button]").click()
    confirm = page.locator("[data-confirm-step]")
    expect(confirm).to_contain_text("This uses your last token. Sign up afterwards for 6 more")
    looks_right(page)

    # Advanced costs more than is left: not enough, and signing up is the way on.
    page.get_by_role("button", name="Back to the form").click()
    page.get_by_label("Advanced · 3 tokens").check()
    page.get_by_role("button", name="Generate · 3 tokens").click()
    not_enough = page.locator("[data-not-enough]")
    expect(not_enough.get_by_role("heading", name="Not enough free tokens")).to_be_visible()
    expect(not_enough.locator("[data-signup-invite]")).to_have_text("Sign up for 6 free tokens")
    expect(not_enough).not_to_contain_text("Buy")
    looks_right(page)

    # No free tokens left: no Generate button, the sign-up in its place.
    browse_as(page, live_server, make_visitor(ip="127.0.0.1", spend=3))
    page.goto("/tickets/new/")
    expect(badge).to_contain_text("0 free tokens")
    expect(page.locator("[data-generate-button]")).to_have_count(0)
    top_up = page.locator("[data-top-up]")
    expect(top_up).to_contain_text("You have used your free tokens.")
    expect(top_up.locator("[data-signup-invite]")).to_be_visible()
    looks_right(page)

    # A new browser on a network that had its free tries today never had any tokens.
    settings.VISITOR_GRANTS_PER_NETWORK_PER_DAY = 2  # the two visitors above
    page.context.clear_cookies()
    page.goto("/tickets/new/")
    expect(badge).to_contain_text("0 free tokens")
    expect(nudge).to_have_text("Sign up for 6 free tokens")
    expect(top_up).to_contain_text("Free tries on this network are used up for today.")
    expect(top_up).not_to_contain_text("You have used")
    expect(page.locator("[data-generate-button]")).to_have_count(0)
    looks_right(page)

    # Signing up leaves them signed out until the email is confirmed: no "sign up" there.
    top_up.locator("[data-signup-invite]").click()
    page.get_by_label("Email").fill(f"first-use-{width}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^Sign up$", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    expect(badge).to_have_text("Confirm your email to get your 6 tokens")
    expect(badge).not_to_contain_text("Sign up")
    looks_right(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_account_is_welcomed_once_and_can_read_it_again(make_page, prices, width):
    for key, label in (("ticket.standard", "Standard ticket"), ("ticket.advanced", "Advanced")):
        set_price(key, label=label)
    page = make_page(width, axe=True)
    page.goto("/accounts/signup/")
    sign_up_in_browser(page, f"welcome-{width}@example.com")

    welcome = page.locator("[data-welcome]")
    expect(welcome).to_contain_text("You have 9 tokens.")
    expect(welcome).to_contain_text(  # the prices and labels of the price table
        "A ticket costs 1 token (Standard ticket) or 3 tokens (Advanced)."
    )
    expect(welcome).to_contain_text("A failed generation costs nothing: the tokens come back.")
    looks_right(page)

    page.get_by_role("button", name="Got it, hide this").click()
    done = page.locator(".welcome-dismissed")
    expect(done).to_be_focused()
    expect(done).to_contain_text("“How tokens work” in the account menu brings this back.")
    expect(welcome).to_have_count(0)
    looks_right(page)
    page.reload()
    expect(page.locator("main")).not_to_contain_text("Here is how tokens work")

    menu = page.locator("[data-nav-menu] summary")
    if menu.is_visible():  # the phone's menu button
        menu.click()
    page.locator(".nav-account").get_by_role("link", name="How tokens work").click()
    expect(page.get_by_role("heading", name="How tokens work", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("You have 9 tokens.")
    looks_right(page)
