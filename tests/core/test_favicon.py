"""Browsers ask for /favicon.ico on every page that names no icon (the Django admin, a PDF):
it must be there, not a 404 in the console."""

import pytest


@pytest.mark.django_db
def test_favicon_ico_is_served_as_an_icon(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain == [("/static/img/favicon.ico", 301)]
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # ICO header
