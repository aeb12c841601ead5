"""The sessions page says which sessions each sign-out button ends, and ends exactly those."""

import re

import pytest
from django.test import Client

from tests.helpers import sign_in

CHROME_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def signed_in(user, user_agent=""):
    client = Client(HTTP_USER_AGENT=user_agent)
    sign_in(client, user.email)
    return client


def is_signed_in(client) -> bool:
    return client.get("/account/settings/").status_code == 200


def form_of(html: str, button_text: str) -> str:
    """The action of the form whose submit button reads `button_text`."""
    for form in re.findall(r"<form .*?</form>", html, re.S):
        button = re.search(r"<button[^>]*>(.*?)</button>", form, re.S)
        if button and " ".join(re.sub(r"<[^>]+>", "", button.group(1)).split()) == button_text:
            return re.search(r'action="([^"]*)"', form).group(1)
    raise AssertionError(f"no button {button_text!r}")


@pytest.mark.django_db
def test_the_sign_out_button_names_the_other_sessions_and_keeps_this_one(verified_user):
    laptop = signed_in(verified_user)
    phone, tablet = signed_in(verified_user, CHROME_ON_MAC), signed_in(verified_user)

    html = laptop.get("/accounts/sessions/").content.decode()

    assert form_of(html, "Sign out of all 2 other sessions") == "/accounts/sessions/"
    assert "You stay signed in on this device." in html
    # Each other session's own button says whose it is, for a screen reader too.
    assert "Sign out<span class=\"visually-hidden\"> of Chrome on macOS" in html
    laptop.post("/accounts/sessions/")
    assert is_signed_in(laptop)
    assert not is_signed_in(phone) and not is_signed_in(tablet)


@pytest.mark.django_db
def test_with_one_other_session_the_button_says_the_other_session(verified_user):
    laptop, phone = signed_in(verified_user), signed_in(verified_user)

    html = laptop.get("/accounts/sessions/").content.decode()

    assert form_of(html, "Sign out of the other session") == "/accounts/sessions/"
    laptop.post("/accounts/sessions/")
    assert is_signed_in(laptop) and not is_signed_in(phone)


@pytest.mark.django_db
def test_alone_the_button_signs_out_of_this_device(verified_user):
    laptop = signed_in(verified_user)

    html = laptop.get("/accounts/sessions/").content.decode()

    assert "This device is the only place you are signed in." in html
    action = form_of(html, "Sign out of this device")
    assert action == "/accounts/logout/"
    laptop.post(action)
    assert not is_signed_in(laptop)
