"""A user uploads a CSV in Chromium, reads the preview, confirms, and watches the rows finish
(a real Celery worker, the offline generator), on a desktop and on a 360 px phone in dark
mode, each page checked for overflow and accessibility."""

import pytest
from playwright.sync_api import expect

from tests.builders import funded_user
from tests.helpers import check_page, sign_in_browser_as

from .conftest import csv_of


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_upload_preview_confirm_and_watch_the_rows_finish(make_page, live_server, prices,
                                                          celery_worker, offline, width, dark):
    user = funded_user(20, email=f"batch-{width}@example.com")
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)

    page.goto("/tickets/batches/")
    expect(page.locator("[data-empty-batches]")).to_be_visible()
    page.get_by_role("link", name="Upload a CSV").first.click()
    expect(page.get_by_role("heading", name="Generate tickets from a CSV")).to_be_visible()
    data = csv_of(3) + b"Too short,story,standard,,,\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "ideas.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.locator("[data-batch-counts]")).to_contain_text("3 rows ready, 1 with errors")
    expect(page.locator("[data-batch-cost]")).to_have_text("3 tokens")
    expect(page.locator('[data-row-status="invalid"] [data-row-errors]')).to_contain_text(
        "at least 20 characters")
    check_page(page, f"batch-preview-{width}")

    page.get_by_role("button", name="Generate 3 tickets for 3 tokens").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_have_attribute("data-batch-active", "false", timeout=30_000)
    expect(page.locator('[data-row-status="succeeded"]')).to_have_count(3)
    expect(page.locator("[data-batch-summary]")).to_contain_text("3 of 3 rows settled")
    expect(page.locator("#balance-badge")).to_contain_text("17")
    check_page(page, f"batch-finished-{width}")

    page.get_by_role("link", name="Batches", exact=True).first.click()
    expect(page.locator("[data-batch]")).to_have_count(1)
    check_page(page, f"batch-list-{width}")
