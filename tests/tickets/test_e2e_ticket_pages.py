"""The ticket pages in Chromium, as people use them (issue 12): a generated ticket has its own
URL in the browser's history, a phone shows the new ticket's title rather than its middle, and
every tickets page passes axe-core and fits the screen at 1280 and 360 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.builders import DESCRIPTION, funded_user, request_ticket
from tests.helpers import (
    assert_accessible,
    assert_charged_once,
    assert_fits_width,
    generate_in_browser,
    sign_in_browser_as,
)
from tickets import services
from tickets.models import Ticket

from .fake_openrouter import ticket_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TICKET_URL = re.compile(r"/tickets/[0-9a-hjkmnp-tv-z]{10}/$")
GENERATOR_URL = re.compile(r"/tickets/new/$")
OTHER_DESCRIPTION = "When I press Save on the profile page nothing happens; it should save."


def generate(page, description: str = DESCRIPTION) -> None:
    generate_in_browser(page, description)


def test_back_returns_to_the_generator_and_forward_to_the_ticket(page, celery_worker, offline):
    page.goto("/")
    page.goto("/tickets/new/")
    generate(page)
    expect(page).to_have_url(TICKET_URL)
    ticket = Ticket.objects.get()
    assert page.url.endswith(f"/tickets/{ticket.public_id}/")
    assert_charged_once(ticket, ticket.token_account, 3)

    page.go_back()
    expect(page).to_have_url(GENERATOR_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Generate a ticket")
    expect(page.get_by_label("What needs doing?")).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(f"{page.url.split('/tickets/')[0]}/tickets/{ticket.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ticket.title)
    expect(page.get_by_role("button", name="Copy as Markdown")).to_be_visible()
    forward = page.locator("main").inner_text()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(ticket.title)
    assert page.locator("main").inner_text() == forward

    # The generator Back brought is a fresh one: a new description makes a new ticket.
    page.go_back()
    expect(page).to_have_url(GENERATOR_URL)
    generate(page, OTHER_DESCRIPTION)
    expect(page).to_have_url(TICKET_URL)
    assert Ticket.objects.count() == 2
    second = Ticket.objects.exclude(pk=ticket.pk).get()
    assert page.url.endswith(f"/tickets/{second.public_id}/")
    assert second.description == OTHER_DESCRIPTION
    page.go_back()
    expect(page).to_have_url(GENERATOR_URL)
    expect(page.get_by_label("What needs doing?")).to_have_value("")


def test_a_phone_shows_the_new_tickets_title_and_focuses_it(make_page, celery_worker, offline):
    page = make_page(360)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto("/tickets/new/")
    generate(page)
    title = page.locator("[data-ticket-card] .ticket-title")
    # htmx scrolls and focuses as the swap settles.
    expect(page.locator(".htmx-settling, .htmx-added, .htmx-swapping")).to_have_count(0)
    box = title.bounding_box()
    header = page.locator(".site-header").bounding_box()
    assert box["y"] >= header["y"] + header["height"] - 1, (box, header)  # not under the header
    assert box["y"] + box["height"] <= 640, box
    expect(title).to_be_focused()
    assert_fits_width(page)


def make_tickets(user) -> dict[str, Ticket]:
    """A finished story and a finished bug (the card's two shapes) and a failed ticket."""
    made = {}
    for kind in ("story", "bug"):
        ticket = request_ticket(user.token_account, owner=user, ticket_type=kind)
        services.run_ticket_generation(ticket_id=ticket.pk)
        made[kind] = Ticket.objects.get(pk=ticket.pk)
    content = {**ticket_json("bug"), "ticket_type": "bug"}
    content.pop("type")
    Ticket.objects.filter(pk=made["bug"].pk).update(**content)
    made["bug"].refresh_from_db()
    failed = request_ticket(user.token_account, owner=user, ticket_type="task")
    services.fail_ticket(ticket=failed, code="internal")
    made["failed"] = failed
    return made


@pytest.mark.parametrize("width", [1280, 360])
def test_every_tickets_page_is_accessible_and_fits_the_screen(make_page, live_server, offline,
                                                              width):
    user = funded_user(10)
    tickets = make_tickets(user)
    page = make_page(width, axe=True)
    sign_in_browser_as(page, live_server, user)
    story, bug, failed = tickets["story"], tickets["bug"], tickets["failed"]
    pages = [
        ("/tickets/", "My tickets"),
        (f"/tickets/{story.public_id}/", story.title),
        (f"/tickets/{bug.public_id}/", bug.title),
        (f"/tickets/{failed.public_id}/", "This ticket could not be generated"),
        (f"/tickets/{story.public_id}/edit/", "Edit ticket"),
        (f"/tickets/{story.public_id}/delete/", "Delete this ticket?"),
        ("/tickets/?q=nothing-matches-this", "My tickets"),
    ]
    for path, heading in pages:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_fits_width(page)
        assert_accessible(page)
    page.goto(f"/tickets/{bug.public_id}/")
    expect(page.locator("[data-ticket-card]")).to_contain_text(f"{bug.public_id} · Bug")
    expect(page.get_by_role("heading", level=2, name="Expected behavior")).to_be_visible()
