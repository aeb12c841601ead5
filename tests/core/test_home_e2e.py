"""Issue 2: the home page renders in Chromium, loads nothing from other hosts, logs no errors."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_in_chromium_without_errors(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/")  # waits for the load event: stylesheet and scripts are in

    assert response.status == 200
    assert page.title().endswith("MyBA")
    assert page.locator("header").get_by_text("MyBA").first.is_visible()
    # Our own stylesheet and htmx were served by the live server, not a CDN.
    assert any(url.endswith(".css") for url in requested)
    assert any("htmx" in url for url in requested)
    assert all(url.startswith(live_server.url) for url in requested)
    # The page fixture fails the test on console errors (CSP violations included).


def test_home_page_fits_a_360px_phone(page):
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
