"""Dark mode is as readable as light: the main pages pass axe-core (color contrast included)
with the browser set to dark. Colors do not depend on the width, so one width is measured:
the phone's, where the layout is tightest."""

import pytest

from tests.builders import make_verified_user
from tests.helpers import assert_accessible, assert_fits_width, sign_in_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/tickets/new/", "/tickets/", "/pricing/", "/accounts/login/", "/accounts/signup/"]


def test_main_pages_pass_axe_in_dark_mode(make_page, offline):
    page = make_page(360, axe=True, dark=True)
    for path in PAGES:
        page.goto(path)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert_accessible(page)
        assert_fits_width(page)


def test_signed_in_pages_pass_axe_in_dark_mode(make_page, offline):
    user = make_verified_user()
    page = make_page(360, axe=True, dark=True)
    sign_in_in_browser(page, user.email)
    for path in ["/tickets/new/", "/billing/", "/account/settings/", "/account/welcome/"]:
        page.goto(path)
        assert_accessible(page)
        assert_fits_width(page)
