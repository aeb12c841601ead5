"""Issue 2: with DEBUG off the site sends the headers a production site must send."""

import pytest
from django.test import override_settings

PRODUCTION = {
    "DEBUG": False,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
}


@pytest.mark.django_db
def test_production_headers_on_the_home_page(client):
    with override_settings(**PRODUCTION):
        insecure = client.get("/")
        response = client.get("/", secure=True)
    assert insecure.status_code == 301
    assert insecure["Location"].startswith("https://")
    assert response.status_code == 200
    # No preload unless the deployer opts in (SECURE_HSTS_PRELOAD, off by default).
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.django_db
def test_hsts_asks_for_preload_once_opted_in(client):
    with override_settings(**PRODUCTION, SECURE_HSTS_PRELOAD=True):
        response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_404_page_is_styled_and_says_not_found(client):
    with override_settings(DEBUG=False):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"MyBA" in response.content
