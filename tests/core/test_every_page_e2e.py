"""Every page a visitor or a signed-in person can open, in Chromium: nothing wider than the
screen and no axe-core violation (WCAG 2.1 A/AA and best practices, any impact), on a desktop
in the light theme and on a 360 px phone in the dark theme, and the main journeys in Arabic
(right to left) on the phone. The staff dashboard's pages have their own such test
(tests/admin_dashboard/test_e2e_pages.py); a new page belongs in one of the lists below.

`bench/a11y.py` runs the whole matrix (both widths x both themes x five languages)."""

import os

import pytest
from django.conf import settings

from accounts.teams.services import create_organization
from tests.builders import finished_ticket, funded_user
from tests.helpers import assert_fits_width, check_page, sign_in_browser_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VISITOR_PAGES = [
    "/", "/pricing/", "/tickets/new/", "/accounts/login/", "/accounts/signup/",
    "/accounts/password/reset/", "/offline/", "/no-such-page/",
]
# The pages of the main journeys (generate, sign up, buy): the ones Arabic covers.
MAIN_PAGES = ["/", "/pricing/", "/tickets/new/", "/tickets/", "{ticket}", "/account/settings/",
              "/billing/", "/accounts/login/", "/accounts/signup/"]
USER_PAGES = [
    "/", "/tickets/", "/tickets/new/", "{ticket}", "{ticket}edit/", "{ticket}versions/",
    "{ticket}delete/", "/tickets/templates/", "/tickets/templates/new/", "/tickets/batches/",
    "/tickets/batches/new/", "/account/settings/", "/account/usage/", "/account/api-keys/",
    "/account/webhooks/", "/account/connections/", "/account/welcome/", "/accounts/sessions/",
    "/accounts/email/", "/accounts/password/change/", "/accounts/2fa/",
    "/accounts/2fa/totp/activate/", "/billing/", "/bonus/", "/gifts/",
    "/referrals/", "/teams/", "/teams/{team}/",
    "/teams/{team}/audit/", "/teams/{team}/usage/", "/integrations/github/",
    "/integrations/gitlab/", "/integrations/slack/", "/pricing/",
]


@pytest.fixture
def person(offline, packs):
    """A customer with a finished ticket and a team of their own."""
    user = funded_user(20, email="ada@example.com")
    ticket = finished_ticket(user)
    team = create_organization(user=user, name="Acme")
    return user, {"ticket": f"/tickets/{ticket.public_id}/", "team": team.slug}


def visit_all(page, paths, *, label: str) -> None:
    for path in paths:
        response = page.goto(path)
        assert response.status < 500, f"{path}: {response.status}"
        page.wait_for_load_state("networkidle")
        name = f"{label}{path.strip('/').replace('/', '_') or 'home'}"
        check_page(page, name)


def in_language(page, live_server, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                               "url": live_server.url}])


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_every_visitor_page(make_page, packs, width, dark):
    page = make_page(width, axe=True, dark=dark)
    visit_all(page, VISITOR_PAGES, label=f"visitor-{width}-")


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_every_signed_in_page(make_page, live_server, person, width, dark):
    user, names = person
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)
    visit_all(page, [path.format(**names) for path in USER_PAGES], label=f"user-{width}-")


@pytest.mark.parametrize("language", ["ar", "de"])
def test_the_main_journeys_pages_in_arabic_and_german_on_a_phone(make_page, live_server, person,
                                                                  language):
    """Arabic right to left, and German's long words, on the narrowest screen."""
    user, names = person
    page = make_page(360, axe=True, dark=language == "ar")
    in_language(page, live_server, language)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    visit_all(page, ["/", "/pricing/", "/accounts/signup/", "/accounts/login/"],
              label=f"{language}-visitor-")
    sign_in_browser_as(page, live_server, user)
    visit_all(page, [path.format(**names) for path in MAIN_PAGES], label=f"{language}-user-")


def test_the_main_pages_zoomed_to_200_percent_scroll_only_down(browser, live_server, person):
    """A 1280 px window zoomed to 200 % lays pages out in 640 CSS pixels, twice as large:
    nothing may need a sideways scroll (WCAG 1.4.4 and 1.4.10)."""
    user, names = person
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 640, "height": 450},
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        for path in ["/", "/pricing/", "/accounts/signup/"]:
            page.goto(path)
            assert_fits_width(page)
        sign_in_browser_as(page, live_server, user)
        for path in MAIN_PAGES:
            page.goto(path.format(**names))
            assert_fits_width(page)
    finally:
        context.close()


if os.environ.get("MYBA_A11Y_MATRIX"):
    # bench/a11y.py: every page, both widths, both themes, every language.
    @pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
    @pytest.mark.parametrize("dark", [False, True])
    @pytest.mark.parametrize("width", [1280, 360])
    def test_matrix(make_page, live_server, person, width, dark, language):
        user, names = person
        page = make_page(width, axe=True, dark=dark)
        in_language(page, live_server, language)
        visit_all(page, VISITOR_PAGES, label=f"m-{language}-{width}-{dark}-visitor-")
        sign_in_browser_as(page, live_server, user)
        visit_all(page, [path.format(**names) for path in USER_PAGES],
                  label=f"m-{language}-{width}-{dark}-user-")
