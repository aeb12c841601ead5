"""Templates in Chromium: the templates page, then choosing the Bug report template on the
generator (it ticks Bug), generating offline and seeing its effect on the card — at 1280 px in
light mode and 360 px in dark mode, each page passing axe-core and fitting the screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.builders import funded_user
from tests.helpers import balance_of, check_page, sign_in_browser_as
from tests.tickets.templating import BUG
from tickets.models import Ticket
from tickets.quality.clarify import find_questions

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_choose_a_template_generate_and_see_its_effect(make_page, live_server, offline,
                                                       tasks_inline, width, dark):
    user = funded_user(5)
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    shot = f"templates-{width}{'-dark' if dark else ''}"

    page.goto("/tickets/templates/")
    expect(page.locator("[data-empty-templates]")).to_contain_text("No templates yet")
    expect(page.locator("[data-builtin-templates] > li")).to_have_count(4)
    check_page(page, f"{shot}-list")

    page.goto("/tickets/new/")
    page.get_by_label("Template").select_option("bug-report")
    expect(page.get_by_label("Bug", exact=True)).to_be_checked()  # the template's type
    page.get_by_label("What needs doing?").fill(BUG)
    page.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    if find_questions(BUG, "bug"):
        page.locator("[data-skip-button]").click()
    card = page.locator("[data-ticket-card]")
    expect(card).to_be_visible(timeout=20_000)

    ticket = Ticket.objects.get()
    assert ticket.ticket_type == "bug" and ticket.template_snapshot["id"] == "bug-report"
    expect(card).to_contain_text("Template: Bug report")
    expect(card).to_contain_text(f"{ticket.priority_label} priority")
    assert re.fullmatch(r"P[0-3]", ticket.priority_label)
    expect(card.locator("[data-checklist-item]")).to_have_count(len(ticket.acceptance_criteria))
    expect(card.get_by_title("Story points")).to_have_count(0)  # hidden by the template
    card.locator(".scorecard-summary").click()
    expect(card.locator("[data-to-confirm]")).to_contain_text("Reproduced on the latest release")
    expect(card.locator('[data-rule="ready_reproduction"]')).to_have_attribute("data-passed",
                                                                             "true")
    assert balance_of(user.token_account) == 4
    check_page(page, f"{shot}-ticket")
