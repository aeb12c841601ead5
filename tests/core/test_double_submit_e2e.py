"""Issue 11 §4: one double-submit guard, form[data-busy] in static/js/app.js, for plain and
htmx forms alike: a double click on a submit button sends one request."""

import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def record_posts(page, path: str) -> list[str]:
    posts = []
    page.on(
        "request",
        lambda request: posts.append(request.url)
        if request.method == "POST" and urlparse(request.url).path == path
        else None,
    )
    return posts


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


def impatient_double_submit(page, button, path: str) -> list:
    """Click `button`, then, while its request is still in flight (held by the route),
    click it again and press Enter on it. Returns the held routes."""
    held = []
    page.route(
        re.compile(r"^[^?]*" + re.escape(path) + r"(\?.*)?$"),
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_request(lambda request: request.method == "POST"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # long enough for a second request to leave
    return held


def test_a_plain_form_is_submitted_once(page, live_server, settings):
    settings.DASHBOARD_REQUIRE_MFA = False
    sign_in(page, live_server, UserFactory(is_staff=True))
    page.goto("/dashboard/")
    path = reverse("admin_dashboard:refresh_overview")
    posts = record_posts(page, path)

    held = impatient_double_submit(page, page.get_by_role("button", name="Refresh now"), path)

    assert len(posts) == 1
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/dashboard/\?range=30$"))
    expect(page.get_by_role("button", name="Refresh now")).to_be_visible()


def test_an_htmx_form_is_submitted_once_and_usable_again_after_an_error(
    page, celery_worker, offline
):
    page.goto("/tickets/new/")
    path = reverse("tickets:new")
    posts = record_posts(page, path)
    page.get_by_label("What needs doing?").fill(
        "Customers need to download invoices as PDF so that their accountant can file them."
    )
    generate = page.get_by_role("button", name=re.compile(r"Generate · 1 token"))

    held = impatient_double_submit(page, generate, path)
    assert len(posts) == 1
    # The request fails and htmx leaves the form in place: the error toast (cloned from the
    # server-rendered template) says so, nothing else is sent, and the form works again.
    held[0].fulfill(status=429, body="")
    expect(page.locator("#toasts .toast-error")).to_contain_text("Too many requests")
    page.wait_for_timeout(300)
    assert len(posts) == 1
    page.watch.console_errors[:] = [e for e in page.watch.console_errors if "429" not in e]

    page.unroute_all()
    generate.click()
    expect(page.locator("[data-ticket-card]")).to_be_visible(timeout=20_000)
    expect(page.locator("#balance-badge")).to_contain_text("2 free tokens")
    assert len(posts) == 2
