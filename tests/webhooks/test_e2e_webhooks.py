"""A user sets a webhook in Chromium, reveals its secret, sends a test event and sees it
delivered (checked by the local receiver), on a desktop and on a 360 px phone in dark mode,
each page checked for overflow and accessibility."""

import pytest
from playwright.sync_api import expect

from tests.builders import funded_user
from tests.helpers import check_page, sign_in_browser_as


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_set_a_webhook_send_a_test_event_and_see_it_delivered(make_page, live_server,
                                                               celery_worker, receiver):
    user = funded_user()
    page = make_page(1280, axe=True)
    sign_in_browser_as(page, live_server, user)
    page.goto("/account/settings/")
    page.locator("[data-webhooks-link]").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.locator("[data-no-endpoint]")).to_be_visible()

    page.get_by_label("Endpoint URL").fill(receiver.url)
    expect(page.get_by_label("ticket.completed — a ticket is ready")).to_be_checked()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("body")).to_contain_text("Webhook endpoint saved.")
    expect(page.locator("[data-deliveries-empty]")).to_be_visible()

    page.get_by_role("button", name="Reveal secret").click()
    secret = page.locator("[data-webhook-secret]").input_value()
    assert secret.startswith("whsec_")
    receiver.secret = secret

    page.get_by_role("button", name="Send test event").click()
    row = page.locator("[data-deliveries] tbody tr").first
    expect(row.locator("[data-delivery-status]")).to_have_text("Succeeded")  # htmx refresh
    expect(row).to_contain_text("HTTP 200")
    [request] = receiver.received
    assert request.verified and request.event["type"] == "ping"
    check_page(page, "webhooks-1280")

    row.get_by_role("button", name="Resend").click()
    expect(page.locator("body")).to_contain_text("again")
    phone = make_page(360, axe=True, dark=True)
    sign_in_browser_as(phone, live_server, user)
    phone.goto("/account/webhooks/")
    expect(phone.locator("[data-deliveries] [data-delivery-status]").first).to_have_text(
        "Succeeded")
    assert len(receiver.received) == 2 and receiver.received[1].event == request.event
    check_page(phone, "webhooks-360")
