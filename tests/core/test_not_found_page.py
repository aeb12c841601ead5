"""Missing pages show the site's own 404 page, also with DEBUG on (how people try the product
with `make run`), unless a developer asks for Django's technical page."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/no-such-page/", "/tickets/nope/", "/accounts/github/login/"])
def test_debug_run_shows_the_branded_404(settings, path):
    settings.DEBUG = True
    response = Client().get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "We couldn’t find that page" in page
    assert "Using the URLconf defined in" not in page


def test_developers_can_ask_for_the_technical_404(settings):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_404 = True
    page = Client().get("/no-such-page/").content.decode()
    assert "Using the URLconf defined in" in page


def test_production_404_is_the_branded_page(settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()
