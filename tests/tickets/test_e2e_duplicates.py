"""The duplicate warning in Chromium (issue 16): typing a description the library already has
shows "Looks like …" under it, politely announced; the person can open that ticket or say it
is not a duplicate and generate anyway — at 1280 px in light mode and 360 px in dark mode,
each step passing axe-core and fitting the screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.builders import funded_user
from tests.helpers import check_page, sign_in_browser_as
from tickets.models import Ticket

from .test_duplicates import EXISTING, PARAPHRASE, TITLE, finished

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_typing_a_duplicate_shows_the_warning(make_page, live_server, offline, tasks_inline,
                                              width, dark):
    user = funded_user(5)
    existing = finished(owner=user, title=TITLE, description=EXISTING)
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    page.goto("/tickets/new/")

    description = page.get_by_label("What needs doing?")
    description.press_sequentially(PARAPHRASE[:40])  # typing, as a person does
    description.fill(PARAPHRASE)
    warning = page.locator("#duplicate-warning [data-duplicate-warning]")
    expect(warning).to_contain_text(re.compile(
        rf"Looks like “{TITLE}” \(\d+% similar\) — open it instead\?"))
    expect(page.locator("#duplicate-warning")).to_have_attribute("aria-live", "polite")
    expect(warning.get_by_role("link", name="Open it")).to_have_attribute(
        "href", f"/tickets/{existing.public_id}/")
    check_page(page, f"duplicate-warning-{width}{'-dark' if dark else ''}")

    # Keyboard: from the description, Tab reaches the warning's links and its button.
    description.focus()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Not a duplicate: go on")).to_be_focused()
    page.keyboard.press("Enter")
    note = page.locator("[data-duplicates-dismissed]")
    expect(note).to_have_text("Noted: this will be a new ticket.")
    expect(note).to_be_focused()

    # Dismissed: the submit goes straight on (no warning step), and makes the ticket.
    page.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    if page.locator("[data-skip-button]").count():
        page.locator("[data-skip-button]").click()
    expect(page.locator("[data-ticket-card]")).to_be_visible(timeout=20_000)
    assert Ticket.objects.filter(owner=user, description=PARAPHRASE).count() == 1


def test_the_submit_warns_when_the_live_check_was_not_seen(make_page, live_server, offline):
    user = funded_user(5)
    existing = finished(owner=user, title=TITLE, description=EXISTING)
    page = make_page(360, axe=True, dark=True)
    sign_in_browser_as(page, live_server, user)
    page.goto("/tickets/new/")
    page.get_by_label("What needs doing?").fill(PARAPHRASE)
    page.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    step = page.locator("[data-duplicates-step]")
    expect(step).to_contain_text("Is this already a ticket?")
    expect(step.get_by_role("link", name="Open it")).to_have_attribute(
        "href", f"/tickets/{existing.public_id}/")
    check_page(page, "duplicate-step-360-dark")
    assert Ticket.objects.filter(owner=user).count() == 1
    step.get_by_role("link", name="Open it").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{existing.public_id}/$"))


def test_a_check_due_while_the_form_is_sent_never_cancels_the_submit(make_page, live_server,
                                                                     fake_openrouter, settings,
                                                                     tasks_inline):
    """Generate clicked right after typing: the model takes 2 s, so the check that falls due
    600 ms after the last keystroke comes while the form is being sent. It is dropped; the
    submit's answer (the ticket) still arrives."""
    from .fake_openrouter import slow

    settings.OPENROUTER_READ_TIMEOUT = 10
    fake_openrouter.default = slow(2.0)
    user = funded_user(5)
    page = make_page(1280)
    sign_in_browser_as(page, live_server, user)
    page.goto("/tickets/new/")
    page.get_by_label("What needs doing?").fill(PARAPHRASE)
    page.get_by_label("Story", exact=True).check()
    page.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    expect(page.locator("[data-ticket-card]")).to_be_visible(timeout=15_000)
    assert Ticket.objects.filter(owner=user).count() == 1
