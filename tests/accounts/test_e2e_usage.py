"""The usage page in Chromium (issue 14): a user generates a ticket, sees it in the history
and the day's chart, loads older movements, filters, and downloads the CSV and the month's PDF
statement — at 1280 px in light mode and 360 px in dark mode, passing axe-core and fitting
the screen."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.builders import backdate_entries, funded_user, spend_days_ago
from tests.helpers import check_page, generate_in_browser, sign_in_browser_as
from tokens.models import LedgerEntry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESCRIPTION = "Customers need to download invoices as PDF so that their accountant can file them."


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_spend_then_see_it_in_the_history_and_download_it(make_page, live_server, offline,
                                                         tasks_inline, width, dark):
    user = funded_user(40)
    # A month of history, written oldest first as the ledger would have.
    backdate_entries(LedgerEntry.objects.filter(account=user.token_account),
                     timezone.now() - timedelta(days=40))
    for day in reversed(range(30)):
        spend_days_ago(user.token_account, days_ago=day + 1.5)
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    shot = f"usage-{width}{'-dark' if dark else ''}"

    page.goto("/account/usage/")
    spent_today = page.locator("#chart-spent tbody tr").last
    page.locator("#chart-spent summary").click()
    expect(spent_today.locator("td")).to_have_text("0")
    check_page(page, f"{shot}-before")

    page.goto("/tickets/new/")
    generate_in_browser(page, DESCRIPTION)
    title = page.locator("[data-ticket-card] h2, [data-ticket-card] h3").first.inner_text()

    page.goto("/account/usage/")
    expect(page.locator("[data-available]")).to_have_text("9")
    first = page.locator("[data-movement]").first
    expect(first).to_contain_text(f"Ticket “{title}”")
    expect(first).to_contain_text("Standard ticket · from welcome bonus tokens")
    expect(first).to_contain_text("−1")
    page.locator("#chart-spent summary").click()
    expect(page.locator("#chart-spent tbody tr").last.locator("td")).to_have_text("1")
    expect(page.locator("[data-forecast]")).to_contain_text("At your pace of the last")
    check_page(page, f"{shot}-after")

    # Older movements load in place (keyset cursor).
    expect(page.locator("[data-movement]")).to_have_count(25)
    page.locator("[data-load-more]").click()
    expect(page.locator("[data-movement]")).to_have_count(32)
    expect(page.locator("[data-load-more]")).to_have_count(0)

    # Filter: only what was bought or granted.
    page.get_by_label("Kind").select_option("granted")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-movement]")).to_have_count(1)
    expect(page.locator("[data-movement]")).to_contain_text("Welcome bonus")

    with page.expect_download() as download:
        page.locator("[data-csv-link]").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["category"] for row in rows] == ["granted"]

    page.goto("/account/usage/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download statement").click()
    assert re.fullmatch(r"myba-statement-\d{4}-\d{2}\.pdf", download.value.suggested_filename)
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
