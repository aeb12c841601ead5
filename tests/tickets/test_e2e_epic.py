"""An epic in Chromium (issue 16): describe it, confirm the most it can cost, watch its stories
arrive one by one from a real Celery worker, and export the whole epic to Jira CSV — at 1280 px
in light mode and 360 px in dark mode, each page passing axe-core and fitting the screen."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.builders import funded_user
from tests.helpers import balance_of, check_page, sign_in_browser_as
from tickets.kinds import KINDS
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_an_epic_is_confirmed_split_live_and_exported(make_page, live_server, offline,
                                                      celery_worker, width, dark):
    user = funded_user(20)
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    shot = f"epic-{width}{'-dark' if dark else ''}"

    page.goto("/tickets/new/")
    stories = page.get_by_label("Stories, at most")
    expect(stories).to_be_hidden()  # only for epics
    page.get_by_label("What needs doing?").fill(KINDS["epic"].example)
    page.get_by_label("Epic", exact=True).check()
    expect(stories).to_be_visible()
    stories.select_option("4")
    generate = page.locator("[data-generator-form] button[type=submit]").last
    expect(generate).to_contain_text("up to 5 tokens")
    check_page(page, f"{shot}-form")

    generate.click()
    expect(page.get_by_text("A Standard epic with up to 4 stories")).to_be_visible()
    confirm = page.get_by_role("button", name="Generate · up to 5 tokens")
    check_page(page, f"{shot}-confirm")
    confirm.click()

    # The worker writes the epic, then plans and writes each story; the card follows live.
    expect(page.locator("[data-children]")).to_be_visible(timeout=30_000)
    epic = Ticket.objects.get(owner=user, ticket_type="epic")
    made = epic.children.count()
    assert 3 <= made <= 4
    children = page.locator("[data-children] [data-child-status]")
    expect(children).to_have_count(made)
    expect(page.locator("[data-children] [data-child-status=succeeded]")).to_have_count(
        made, timeout=30_000)
    money = f"{made} of {made} ready · {made} tokens charged"
    expect(page.locator("[data-split-money]")).to_have_text(
        money + (f" · {4 - made} given back" if made < 4 else ""))
    assert balance_of(user.token_account) == 20 - 1 - made
    check_page(page, f"{shot}-stories")

    page.goto(f"/tickets/{epic.public_id}/")
    expect(page.get_by_role("heading", name="Scope", exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Jira CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [row["Issue Type"] for row in rows] == ["Epic"] + ["Story"] * made
    assert {row["Parent"] for row in rows[1:]} == {rows[0]["Issue ID"]}

    page.goto("/tickets/")
    row = page.locator(f'[data-ticket-row="{epic.public_id}"]')
    row.get_by_text(f"{made} stories").click()
    expect(row.locator("[data-children] li")).to_have_count(made)
    check_page(page, f"{shot}-library")
