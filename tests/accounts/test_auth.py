"""OAuth with verified-email matching, MFA (TOTP), sessions, rate limits, staff checks."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.selectors import staff_can_open_dashboard, user_has_mfa
from tests.factories import PASSWORD
from tests.helpers import reauthenticate, sign_in, totp_code


@pytest.fixture
def github(db):
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id="cid", secret="cs")
    app.sites.add(Site.objects.get_current())
    return app


def github_login(client, *, email, verified):
    """Run allauth's real GitHub OAuth flow with GitHub's HTTP API mocked at the boundary."""
    start = client.post("/accounts/github/login/")
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert authorize.netloc == "github.com"
    state = parse_qs(authorize.query)["state"][0]
    with responses.RequestsMock() as mock:
        mock.post(
            "https://github.com/login/oauth/access_token",
            json={"access_token": "gho_token", "token_type": "bearer", "scope": "user:email"},
        )
        mock.get(
            "https://api.github.com/user",
            json={"id": 4242, "login": "octocat", "name": "Octo Cat", "email": None},
        )
        mock.get(
            "https://api.github.com/user/emails",
            json=[{"email": email, "primary": True, "verified": verified}],
        )
        return client.get("/accounts/github/login/callback/", {"code": "c0de", "state": state})


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_github_login_with_a_verified_matching_email_connects_the_existing_account(
    client, github, verified_user
):
    response = github_login(client, email=verified_user.email, verified=True)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(verified_user.pk)
    account = SocialAccount.objects.get(provider="github")
    assert (account.user, account.uid) == (verified_user, "4242")


@pytest.mark.django_db
def test_github_login_with_an_unverified_matching_email_does_not_connect_silently(
    client, github, verified_user
):
    response = github_login(client, email=verified_user.email, verified=False)

    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()
    assert get_user_model().objects.count() == 1  # no second account with that email
    verified_user.refresh_from_db()
    assert verified_user.has_usable_password()
    # allauth does not reveal that the account exists: it mails the owner, who signs in
    # with their password and connects GitHub from the settings page.
    assert response["Location"] == "/accounts/confirm-email/"
    notice = mail.outbox[-1]
    assert notice.to == [verified_user.email] and "already exists" in notice.subject

    sign_in(client, verified_user.email)
    start = client.post("/accounts/github/login/", {"process": "connect"})
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    with responses.RequestsMock() as mock:
        mock.post("https://github.com/login/oauth/access_token", json={"access_token": "t"})
        mock.get("https://api.github.com/user", json={"id": 4242, "login": "octocat"})
        mock.get(
            "https://api.github.com/user/emails",
            json=[{"email": verified_user.email, "primary": True, "verified": False}],
        )
        client.get("/accounts/github/login/callback/", {"code": "c0de", "state": state})
    assert SocialAccount.objects.get(provider="github").user == verified_user


@pytest.mark.django_db
def test_github_sign_up_with_a_new_verified_email_creates_the_account_and_bonus(client, github):
    github_login(client, email="octo@example.com", verified=True)

    account = SocialAccount.objects.get(provider="github")
    assert account.user.email == "octo@example.com"
    assert signed_in_user_id(client) == str(account.user.pk)
    account.user.refresh_from_db()
    assert account.user.token_account.balance == 9  # 6 welcome + 3 free trial


@pytest.mark.django_db
def test_mfa_enrolment_and_sign_in_with_a_totp_code(client, verified_user):
    verified_user.is_staff = True
    verified_user.save()
    sign_in(client, verified_user.email)
    assert not staff_can_open_dashboard(verified_user)
    reauthenticate(client)

    form = client.get("/accounts/2fa/totp/activate/").context["form"]
    secret = form.secret
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200 and not user_has_mfa(verified_user)
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    types = set(Authenticator.objects.filter(user=verified_user).values_list("type", flat=True))
    assert types == {"totp", "recovery_codes"}
    assert user_has_mfa(verified_user) and staff_can_open_dashboard(verified_user)

    client.post("/accounts/logout/")
    cache.clear()  # allauth remembers used codes for one period; this is a new code window
    step = client.post("/accounts/login/", {"login": verified_user.email, "password": PASSWORD})
    assert step["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None  # the password alone is not enough

    bad = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert bad.status_code == 200 and signed_in_user_id(client) is None
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in_user_id(client) == str(verified_user.pk)


@pytest.mark.django_db
def test_staff_dashboard_check_needs_staff_and_mfa(verified_user):
    assert not staff_can_open_dashboard(verified_user)
    Authenticator.objects.create(user=verified_user, type="totp", data={"secret": "x"})
    assert not staff_can_open_dashboard(verified_user)  # MFA, but not staff
    verified_user.is_staff = True
    assert staff_can_open_dashboard(verified_user)
    verified_user.is_active = False
    assert not staff_can_open_dashboard(verified_user)


@pytest.mark.django_db
def test_sessions_are_listed_and_one_can_be_ended(verified_user):
    laptop, phone = Client(HTTP_USER_AGENT="Laptop/1.0"), Client(HTTP_USER_AGENT="Phone/2.0")
    sign_in(laptop, verified_user.email, REMOTE_ADDR="198.51.100.10")
    sign_in(phone, verified_user.email, REMOTE_ADDR="198.51.100.20")

    page = laptop.get("/accounts/sessions/").content.decode()
    assert "Laptop/1.0" in page and "Phone/2.0" in page  # in the title attribute
    assert "198.51.100.20" in page and "This device" in page

    phone_session = UserSession.objects.get(user=verified_user, user_agent="Phone/2.0")
    ended = laptop.post(f"/account/sessions/{phone_session.pk}/end/", follow=True)
    assert "That session has been signed out." in ended.content.decode()

    assert phone.get("/account/settings/").status_code == 302  # phone is signed out
    assert laptop.get("/account/settings/").status_code == 200  # laptop is not


@pytest.mark.django_db
def test_a_user_cannot_end_someone_elses_session(client, verified_user):
    other = Client()
    sign_in(other, verified_user.email)
    session = UserSession.objects.get(user=verified_user)
    stranger = verified_user.__class__.objects.create_user("stranger@example.com", PASSWORD)
    client.force_login(stranger)

    client.post(f"/account/sessions/{session.pk}/end/")
    assert UserSession.objects.filter(pk=session.pk).exists()
    assert other.get("/account/settings/").status_code == 200


@pytest.mark.django_db
def test_sign_out_of_all_other_sessions(verified_user):
    first, second = Client(), Client()
    sign_in(first, verified_user.email)
    sign_in(second, verified_user.email)
    first.post("/accounts/sessions/")
    assert second.get("/account/settings/").status_code == 302
    assert first.get("/account/settings/").status_code == 200


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client, verified_user):
    for _ in range(5):
        page = sign_in(client, verified_user.email, password="wrong-password").content.decode()
        assert "Too many failed login attempts" not in page
    page = sign_in(client, verified_user.email).content.decode()
    assert "Too many failed login attempts" in page
    assert signed_in_user_id(client) is None  # even the right password waits


@pytest.mark.django_db
@override_settings(ACCOUNT_RATE_LIMITS={"signup": "2/m/ip", "reset_password": "2/m/ip"})
def test_sign_up_and_password_reset_are_rate_limited(client):
    for n in range(2):
        response = client.post(
            "/accounts/signup/",
            {"email": f"n{n}@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert response.status_code == 302
    assert client.post("/accounts/signup/", {"email": "n9@example.com"}).status_code == 429

    for _ in range(2):
        assert client.post("/accounts/password/reset/", {"email": "a@example.com"}).status_code in (
            200,
            302,
        )
    assert client.post("/accounts/password/reset/", {"email": "a@example.com"}).status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de", "ar"])
def test_the_totp_qr_codes_alt_text_describes_it_and_never_reads_out_the_secret(
        client, verified_user, language):
    sign_in(client, verified_user.email)
    reauthenticate(client)
    response = client.get("/accounts/2fa/totp/activate/", HTTP_ACCEPT_LANGUAGE=language)
    secret = response.context["form"].secret
    alts = re.findall(r'<img[^>]*\balt="([^"]*)"', response.content.decode())
    qr_alt = next(alt for alt in alts if alt)
    assert secret not in qr_alt and secret not in "".join(alts)
    if language == "en":
        assert qr_alt == "QR code to scan with your authenticator app"
    else:
        assert qr_alt != "QR code to scan with your authenticator app"
