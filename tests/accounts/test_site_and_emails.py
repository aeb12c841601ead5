"""Account emails name the site as configured (SITE_NAME, SITE_URL's host), never allauth's
"example.com": `migrate` writes the sites record from the settings every time it runs."""

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command
from django.test import Client

from tests.helpers import confirmation_path


@pytest.fixture(autouse=True)
def _forget_the_cached_site():
    """The test's transaction rolls the sites row back; the process-wide cache of it must
    follow, or later tests would see this module's site."""
    yield
    Site.objects.clear_cache()


@pytest.fixture
def configured_site(settings):
    """A deploy that sets its own name and public URL, then runs `migrate`."""
    settings.SITE_NAME = "MyBA"
    settings.SITE_URL = "https://tickets.myba.example.com"
    call_command("migrate", verbosity=0)


def assert_names_the_site(message):
    text = f"{message.subject}\n{message.body}"
    assert message.subject.startswith("[MyBA] ")
    assert "Hello from MyBA!" in message.body
    assert "Thank you for using MyBA!\ntickets.myba.example.com" in message.body
    assert "example.com" not in text.replace("tickets.myba.example.com", "").replace(
        "@example.com", ""
    )


@pytest.mark.django_db
def test_migrate_writes_the_site_from_the_settings_and_again_when_they_change(settings):
    settings.SITE_NAME, settings.SITE_URL = "MyBA", "https://myba.example.com"
    call_command("migrate", verbosity=0)
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("MyBA", "myba.example.com")

    settings.SITE_NAME, settings.SITE_URL = "MyBA staging", "https://staging.myba.example.com:8443"
    call_command("migrate", verbosity=0)
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("MyBA staging", "staging.myba.example.com:8443")
    assert Site.objects.count() == 1


@pytest.mark.django_db
def test_the_confirmation_email_names_the_site(configured_site, client):
    client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": "a-long-passphrase-9",
         "password2": "a-long-passphrase-9"},
    )

    message = mail.outbox[-1]
    assert message.subject == "[MyBA] Please confirm your email address"
    assert_names_the_site(message)
    assert "register an account on tickets.myba.example.com" in message.body
    assert confirmation_path()  # and it carries the link


@pytest.mark.django_db
def test_the_password_reset_email_names_the_site(configured_site, verified_user):
    Client().post("/accounts/password/reset/", {"email": verified_user.email})

    message = mail.outbox[-1]
    assert message.subject == "[MyBA] Password reset email"
    assert_names_the_site(message)
    assert "/accounts/password/reset/key/" in message.body
