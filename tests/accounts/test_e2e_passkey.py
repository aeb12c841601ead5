"""A user adds a passkey and later signs in with it alone, in Chromium with a virtual
authenticator (the DevTools WebAuthn domain stands in for the platform's)."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.builders import make_verified_user
from tests.factories import PASSWORD


def add_virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }})


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_user_adds_a_passkey_and_signs_in_with_it(page, settings):
    # The live server is plain http://localhost; production serves passkeys over HTTPS.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    user = make_verified_user(email="pat@example.com")
    add_virtual_authenticator(page)

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".nav-account")).to_contain_text(user.email)

    page.goto("/accounts/2fa/webauthn/add/")
    expect(page.get_by_role("heading", name="Confirm access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#toasts")).to_contain_text("Security key added.")
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    page.goto("/accounts/2fa/webauthn/")
    expect(page.locator("body")).to_contain_text("Laptop")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).count() == 1

    page.context.clear_cookies()  # signed out; the authenticator keeps the passkey
    page.goto("/accounts/login/")
    expect(page.locator(".nav-account")).not_to_contain_text(user.email)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator(".nav-account")).to_contain_text(user.email)
