"""The main journeys with the keyboard alone, in Chromium: generate a ticket, sign up, buy a
pack, use the staff dashboard. Focus moves only by Tab; Enter and Space act; every focused
control shows a visible focus ring; after an htmx swap focus lands on the new content (the
finished ticket's title), inside a live region that announces it; and no mouse event ever
fires (counted in the page)."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.builders import make_staff, make_verified_user
from tests.helpers import PASSWORD, confirmation_path, sign_in_browser_as, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Counts every pointer or mouse press in the page: a keyboard-only journey has none.
COUNT_POINTER_EVENTS = """
window.__pointerEvents = 0;
for (const type of ["mousedown", "pointerdown", "mouseup", "touchstart"]) {
  window.addEventListener(type, () => { window.__pointerEvents += 1; }, true);
}
"""
FOCUS_STATE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName, visible: element.matches(":focus-visible"),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== "none",
  };
}"""


@pytest.fixture
def keyboard_page(make_page):
    def make(width: int = 1280):
        page = make_page(width)
        page.context.add_init_script(COUNT_POINTER_EVENTS)
        return page
    yield make


def focused_matches(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                         selector)


def assert_focus_visible(page) -> None:
    state = page.evaluate(FOCUS_STATE)
    assert state["visible"] and (state["outline"] or state["shadow"]), state


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`; it must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            assert_focus_visible(page)
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def no_pointer_events(page) -> None:
    assert page.evaluate("window.__pointerEvents") == 0


def test_generate_a_ticket_with_the_keyboard(keyboard_page, live_server, offline, celery_worker):
    page = keyboard_page(1280)
    page.goto("/tickets/new/")
    tab_to(page, "textarea[name=description]")
    page.keyboard.type("As a warehouse picker I want to scan a shelf barcode so that the "
                       "app lists what to pick there, with the quantity for each order")
    tab_to(page, "#generator form button[type=submit]")
    page.keyboard.press("Enter")
    card = page.locator("[data-ticket-card]")
    expect(card).to_be_visible(timeout=20_000)
    # Focus followed the swap to the ticket's title, inside the generator's live region.
    expect(page.locator("[data-ticket-card] .ticket-title")).to_be_focused()
    assert page.locator("#generator").get_attribute("aria-live") == "polite"
    # And the keyboard goes on from there: the next Tab reaches the ticket's actions.
    tab_to(page, "[data-open-ticket]", limit=30)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tickets/[a-z0-9]+/$"))
    no_pointer_events(page)


def test_sign_up_with_the_keyboard(keyboard_page, live_server, prices):
    page = keyboard_page(360)
    page.goto("/accounts/signup/")
    tab_to(page, "input[name=email]")
    page.keyboard.type("keys@example.com")
    tab_to(page, "input[name=password1]")
    page.keyboard.type(PASSWORD)
    if page.locator("input[name=password2]").count():
        tab_to(page, "input[name=password2]")
        page.keyboard.type(PASSWORD)
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/"))
    page.goto(confirmation_path())
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Space")
    expect(page.locator(".nav-account")).to_contain_text("keys@example.com")
    no_pointer_events(page)


def test_buy_a_pack_with_the_keyboard(keyboard_page, live_server, packs, settings):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = settings.STRIPE_LIVE_SECRET_KEY = ""
    buyer = make_verified_user(email="buyer@example.com")
    page = keyboard_page(1280)
    sign_in_browser_as(page, live_server, buyer)
    page.goto("/pricing/")
    tab_to(page, "[data-pack=starter] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/billing/test-checkout/"))
    tab_to(page, "main form button.btn-primary[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/billing/success/"))
    expect(page.locator("[data-credited]")).to_contain_text("tokens added")
    no_pointer_events(page)


def test_the_dashboard_with_the_keyboard(keyboard_page, live_server, prices):
    staff = make_staff(mfa=False, email="ops@example.com")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    page = keyboard_page(1280)
    page.goto("/accounts/login/?next=/dashboard/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(staff.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.wait_for_load_state()
    tab_to(page, "input[name=code]")
    page.keyboard.type(totp_code(secret))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    tab_to(page, "a[href='/dashboard/users/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    tab_to(page, "input[name=q]")
    page.keyboard.type("ops@")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=ops"))
    tab_to(page, f"a[href='/dashboard/users/{staff.pk}/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(staff.email)
    no_pointer_events(page)
