"""The quality scorecard in Chromium (issue 13): on the ticket's card (compact, opened to show
each check), in the library (a badge and a filter), and updated by an edit — at 1280 px in
light mode and 360 px in dark mode, each page passing axe-core and fitting the screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.builders import GOOD_STORY, VAGUE_CRITERIA, finished_ticket, funded_user
from tests.helpers import assert_accessible, assert_fits_width, sign_in_browser_as
from tickets.forms import criteria_to_text
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def check_page(page) -> None:
    assert_fits_width(page)
    assert_accessible(page)


def filter_library(page, choice: str) -> None:
    page.goto("/tickets/")
    page.get_by_label("Quality check").select_option(label=choice)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label("Quality check")).to_have_value(
        {"All": "", "Passes every check": "passing", "Needs work": "needs_work"}[choice])


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_the_scorecard_on_the_card_in_the_library_and_after_an_edit(make_page, live_server,
                                                                    offline, width, dark):
    user = funded_user(10)
    good = finished_ticket(user, **GOOD_STORY)
    flawed = finished_ticket(user, **{**GOOD_STORY, "title": "Invoices as PDF files",
                                      "acceptance_criteria": VAGUE_CRITERIA})
    scorecard = flawed.scorecard
    assert not scorecard.passed and good.scorecard.passed
    failing = {rule.key: rule for rule in scorecard.failing}
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)

    # The card: compact (the score, the verdict, the count); opened, what is wrong.
    page.goto(f"/tickets/{flawed.public_id}/")
    card = page.locator("[data-scorecard]")
    expect(card).to_contain_text(f"Quality {scorecard.score}/100")
    expect(card).to_contain_text("Needs work")
    passing = len(scorecard.results) - len(failing)
    expect(card).to_contain_text(f"{passing} of {len(scorecard.results)} checks pass")
    message = card.get_by_text(failing["criteria_count"].message)
    expect(message).to_be_hidden()
    check_page(page)
    card.locator("summary").click()
    expect(message).to_be_visible()
    expect(card.locator('[data-rule="criteria_count"]')).to_contain_text("Fails:")
    expect(card.locator('[data-rule="title_length"]')).to_contain_text("Passes:")
    check_page(page)

    # The library: a badge per ticket and a filter that keeps its choice.
    filter_library(page, "Needs work")
    rows = page.locator("[data-ticket-row]")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(flawed.title)
    expect(rows.locator("[data-quality-badge]")).to_have_text(
        f"! Quality {scorecard.score} · needs work")
    check_page(page)
    filter_library(page, "Passes every check")
    expect(rows).to_have_count(1)
    expect(rows.locator("[data-quality-badge]")).to_have_text("✓ Quality 100")
    check_page(page)

    # An edit that fixes the criteria: the page shows the new scorecard.
    page.goto(f"/tickets/{flawed.public_id}/edit/")
    page.get_by_label("Acceptance criteria").fill(
        criteria_to_text(GOOD_STORY["acceptance_criteria"]))
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{flawed.public_id}/$"))
    edited = Ticket.objects.get(pk=flawed.pk).scorecard
    assert edited.score > scorecard.score
    assert "criteria_count" not in {rule.key for rule in edited.failing}
    expect(page.locator("[data-scorecard]")).to_contain_text(f"Quality {edited.score}/100")
    filter_library(page, "Needs work" if edited.failing else "Passes every check")
    expect(page.locator("[data-ticket-row]", has_text=flawed.title)).to_have_count(1)
