"""API keys in Chromium: a person makes a key (shown once), a script uses it, the person
revokes it and the script is refused — at desktop and phone widths, light and dark, each page
checked for overflow and accessibility; and the API reference page works under the CSP."""

import pytest
import requests
from playwright.sync_api import expect

from tests.builders import DESCRIPTION, funded_user
from tests.helpers import check_page, sign_in_browser_as, wait_until


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_a_key_from_creation_to_revocation(make_page, live_server, prices, offline,
                                           celery_worker, width, dark):
    user = funded_user(9, email=f"dev{width}@example.com")
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    page.goto("/account/settings/")
    page.get_by_role("link", name="API keys").click()
    expect(page.locator("[data-no-keys]")).to_be_visible()
    check_page(page, f"api-keys-empty-{width}")

    page.get_by_label("Name").fill("CI bug filer")
    page.get_by_label("Daily token budget").fill("-3")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".field-error")).to_contain_text("greater than or equal to 0")
    page.get_by_label("Daily token budget").fill("5")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("[data-secret]").input_value()
    assert secret.startswith("myba_live_")
    check_page(page, f"api-keys-issued-{width}")

    api = f"{live_server.url}/api/v1"
    headers = {"Authorization": f"Bearer {secret}"}
    made = requests.post(f"{api}/tickets", json={"description": DESCRIPTION}, headers=headers,
                         timeout=10)
    assert made.status_code == 202, made.text
    status_url = made.json()["status_url"]
    wait_until(lambda: requests.get(status_url, headers=headers, timeout=10)
               .json()["status"] == "succeeded", message="the API's ticket never finished")

    page.reload()
    row = page.locator("[data-key='CI bug filer']")
    expect(row).not_to_contain_text("Never")  # last used
    expect(page.locator("[data-secret]")).to_have_count(0)  # shown once
    row.get_by_role("button", name="Revoke CI bug filer").click()
    expect(row.locator("[data-status]")).to_have_text("Revoked")
    refused = requests.get(f"{api}/balance", headers=headers, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "api_key_revoked"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_api_reference_page_loads_under_the_csp(make_page):
    page = make_page(1280)
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/tickets")
