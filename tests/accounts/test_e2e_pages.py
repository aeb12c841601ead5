"""The account pages load without console errors and fit a phone screen."""

import pytest


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_entrance_pages_render_cleanly(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(path)
        assert page.locator("#balance-badge").inner_text().startswith("3")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, (path, overflow)
