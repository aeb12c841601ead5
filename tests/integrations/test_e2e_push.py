"""Sending a ticket to GitHub in Chromium (issue 19): the ticket page offers the connection,
the preview shows every field and where it lands, "Create" sends it through a real Celery
worker, and the page follows until the issue's link appears — at 1280 px in light mode and
360 px in dark mode, each page passing axe-core and fitting the screen."""

import pytest
from playwright.sync_api import expect

from integrations.models import Connection, Push
from tests.builders import finished_ticket, funded_user
from tests.helpers import check_page, sign_in_browser_as
from tests.integrations.pushing import REPO, connect_github, issues_by_marker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_a_ticket_is_previewed_and_sent_once(make_page, live_server, offline, celery_worker,
                                             github, width, dark):
    user = funded_user(5)
    ticket = finished_ticket(user)
    # A long destination name: every button and badge naming it must wrap on a phone.
    label = "acme/shop-with-a-long-repository-name"
    Connection.objects.filter(pk=connect_github(user).pk).update(label=label)
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    shot = f"push-{width}{'-dark' if dark else ''}"

    page.goto("/account/connections/")
    expect(page.locator("[data-connection][data-health=ok]")).to_contain_text(label)
    check_page(page, f"{shot}-connections")

    page.goto(f"/tickets/{ticket.public_id}/")
    page.get_by_role("link", name=f"Send to GitHub · {label}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("to a tracker")
    rows = page.locator("[data-preview] tbody tr")
    expect(rows.filter(has_text="Acceptance criteria")).to_contain_text("body")
    check_page(page, f"{shot}-preview")
    assert not github.issues(REPO)  # nothing sent by looking

    page.get_by_role("button", name=f"Create 1 issue in {label}").click()
    expect(page.locator("[data-push-state=done]")).to_be_visible(timeout=20_000)
    push = Push.objects.get(ticket=ticket)
    expect(page.locator("[data-push-state=done] a")).to_have_attribute("href", push.remote_url)
    check_page(page, f"{shot}-sent")

    page.goto(f"/tickets/{ticket.public_id}/")
    expect(page.locator("[data-push-link]")).to_have_text(push.remote_key)
    check_page(page, f"{shot}-ticket")
    assert issues_by_marker(github) == {f"myba-{ticket.public_id}": 1}
